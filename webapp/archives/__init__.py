"""The job system: request, build, watch and download archives."""
