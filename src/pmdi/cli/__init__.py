from pmdi.cli.main import app

__all__ = ["app"]
