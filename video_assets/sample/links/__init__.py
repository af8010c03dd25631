"""The links clips (issue #52): short vertical videos with known shared sounds, re-uploads and shared
footage, made from the real recordings in ``sample/real/media``. ``uses`` says what each clip is
made of (the truth), ``writer`` renders them: ``python -m video_assets.sample.links DIR``
(docs/links.md)."""
