"""accord's local web app: a thin FastAPI shell over the library and the store.

>>> from accord.web import create_app
>>> app = create_app("sqlite://", examples=False)  # doctest: +SKIP
"""

from accord.web.app import create_app

__all__ = ["create_app"]
