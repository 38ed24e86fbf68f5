"""Background tasks: long work (imports, batch issuing, sticker sheets, planning) off the request."""
