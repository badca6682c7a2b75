# Copy to instance/settings.py (git-ignored) and adjust. The environment overrides this file.
# `flask --app hotline settings` lists every setting.

# DATABASE_URL = "postgresql://hotline@db.example.de/hotline"
# HOTLINE_PUBLIC_URL = "https://hotline.example.de"
# TWILIO_ACCOUNT_SID = "AC..."
# TWILIO_AUTH_TOKEN = "..."          # better from the environment
# HOTLINE_FALLBACK_NUMBER = "+49 171 5550000"
# HOTLINE_RING_TIMEOUT = 20
# HOTLINE_MAX_HOLD = 240
# HOTLINE_SMTP_HOST = "mail.example.de"
# HOTLINE_SMTP_PORT = 587
# HOTLINE_SMTP_STARTTLS = True
