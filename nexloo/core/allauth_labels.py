"""django-allauth texts whose pt-BR translation we correct (allauth's own catalogue says
"Então, por favor, sign in." and "Lembrar de Mim", and words with a gender: "Conectado com
sucesso como…", "Você já está conectado como…"). Listing them here puts them in the project
catalogue (locale/), which Django consults before the apps' catalogues."""

from django.utils.translation import gettext_noop

LABELS = (
    gettext_noop("Already have an account? Then please %(link)ssign in%(end_link)s."),
    gettext_noop(
        "If you have not created an account yet, then please %(link)ssign up%(end_link)s first."
    ),
    gettext_noop("Remember Me"),
    gettext_noop("Email"),
    gettext_noop("Email address"),
    gettext_noop("Email (optional)"),
    gettext_noop("Successfully signed in as %(name)s."),
    gettext_noop("You are already logged in as %(user_display)s."),
)
