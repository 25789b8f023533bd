"""The domain: HEART's rules, with no Flask in them.

Modules here take a database session (or plain values) and return plain values; they never
read `request`, `current_app` or `flask_login`, so their tests need no app. The blueprints
beside this package (auth, field, dispatch, ...) parse requests, check who may act, call in
here and render.
"""
