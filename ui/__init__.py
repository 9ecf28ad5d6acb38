"""The kiosk's touch-screen UI (PySide6).  The only package that imports Qt.

It renders the immutable views of the kiosk flow (kiosk.flow.views) and sends the user's intents
(kiosk.flow.events); it never calls the reader, the face engine or the connectors itself.
"""
