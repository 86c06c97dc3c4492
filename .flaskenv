# Read by the `flask` command (python-dotenv); holds no secret. Variables already set win.
FLASK_APP=webapp
# The development key `make run` keeps in instance/secret_key, so `flask users create ...`
# works on the same embedded defaults. Production sets FLASK_SECRET_KEY; without it, and
# without this file in its instance folder, the app still refuses to start.
FLASK_SECRET_KEY_FILE=secret_key
