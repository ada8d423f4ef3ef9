from pmdi.cli import app

app()
