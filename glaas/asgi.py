"""The app uvicorn serves: settings from GLAAS_* variables (glaas-server sets them)."""
from glaas.api.app import create_app

app = create_app(migrate=False)
