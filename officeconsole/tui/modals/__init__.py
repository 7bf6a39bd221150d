"""Small typed dialogs that return a value with dismiss()."""
