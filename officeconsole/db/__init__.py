"""Engine, session scopes and column types shared by every model."""
