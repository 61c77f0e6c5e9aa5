//! The mail templates (minijinja), per message family and language, text and HTML, in one
//! layout that carries the tenant's logo and contact details.

use std::sync::LazyLock;

use minijinja::Environment;

const LAYOUT: &str = r#"<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: system-ui, sans-serif; color: #1a1a1a; max-width: 36rem; margin: auto">
{% if logo_url %}<p><img src="{{ logo_url }}" alt="{{ tenant }}" style="max-height: 48px"></p>{% endif %}
{% block body %}{% endblock %}
<hr>
<p style="font-size: 0.9em; color: #555">{{ tenant }}{% if support_email %} · <a href="mailto:{{ support_email }}">{{ support_email }}</a>{% endif %}{% if support_phone %} · {{ support_phone }}{% endif %}</p>
</body></html>
"#;

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", LAYOUT),
    (
        "credential-create.en.txt",
        "Hello {{ name }},\n\n{{ tenant }} has set up portal access for you. Choose your \
         username and password here:\n\n{{ link }}\n\nThe link works once and expires in \
         {{ days }} days. If you did not expect this email, you can ignore it.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}{% if support_phone %}\n\
         {{ support_phone }}{% endif %}\n",
    ),
    (
        "credential-create.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>{{ tenant }} has set up portal access for you.</p>\
         <p><a href=\"{{ link }}\">Choose your username and password</a></p>\
         <p>The link works once and expires in {{ days }} days. If you did not expect this \
         email, you can ignore it.</p>{% endblock %}",
    ),
    (
        "credential-create.fr.txt",
        "Bonjour {{ name }},\n\n{{ tenant }} vous a ouvert un accès au portail. Choisissez \
         votre identifiant et votre mot de passe ici :\n\n{{ link }}\n\nLe lien ne sert qu'une \
         fois et expire dans {{ days }} jours. Si vous n'attendiez pas ce message, ignorez-le.\
         \n\n{{ tenant }}{% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "credential-create.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>{{ tenant }} vous a ouvert un accès au portail.</p>\
         <p><a href=\"{{ link }}\">Choisissez votre identifiant et votre mot de passe</a></p>\
         <p>Le lien ne sert qu'une fois et expire dans {{ days }} jours. Si vous n'attendiez \
         pas ce message, ignorez-le.</p>{% endblock %}",
    ),
    (
        "password-reset.en.txt",
        "Hello {{ name }},\n\nSomeone asked to reset the password of the portal login \
         {{ username }}. Choose a new password here:\n\n{{ link }}\n\nThe link works once and \
         expires in one hour. If it was not you, ignore this email: your password stays as it \
         is.\n\n{{ tenant }}{% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "password-reset.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>Someone asked to reset the password of the portal login <b>{{ username }}</b>.</p>\
         <p><a href=\"{{ link }}\">Choose a new password</a></p>\
         <p>The link works once and expires in one hour. If it was not you, ignore this \
         email: your password stays as it is.</p>{% endblock %}",
    ),
    (
        "password-reset.fr.txt",
        "Bonjour {{ name }},\n\nQuelqu'un a demandé à réinitialiser le mot de passe de \
         l'identifiant {{ username }}. Choisissez un nouveau mot de passe ici :\n\n{{ link }}\
         \n\nLe lien ne sert qu'une fois et expire dans une heure. Si ce n'était pas vous, \
         ignorez ce message : votre mot de passe ne change pas.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}{% if support_phone %}\n\
         {{ support_phone }}{% endif %}\n",
    ),
    (
        "password-reset.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>Quelqu'un a demandé à réinitialiser le mot de passe de l'identifiant \
         <b>{{ username }}</b>.</p><p><a href=\"{{ link }}\">Choisir un nouveau mot de \
         passe</a></p><p>Le lien ne sert qu'une fois et expire dans une heure. Si ce n'était \
         pas vous, ignorez ce message : votre mot de passe ne change pas.</p>{% endblock %}",
    ),
    (
        "locked-out.en.txt",
        "Hello {{ name }},\n\nYour portal login {{ username }} was locked after \
         {{ attempts }} failed sign-ins in a row.{% if link %} To unlock it now, open this \
         link (it works once, for 24 hours):\n\n{{ link }}\n\nThen sign in, or choose a \
         new password if you have forgotten it.{% endif %} You can also contact {{ tenant }}\
         {% if support_email %} at {{ support_email }}{% endif %}{% if support_phone %} or \
         on {{ support_phone }}{% endif %}.\n\nIf these attempts were not yours, someone \
         may be guessing your password: choose a stronger one.\n",
    ),
    (
        "locked-out.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>Your portal login <b>{{ username }}</b> was locked after {{ attempts }} failed \
         sign-ins in a row.</p>{% if link %}<p><a href=\"{{ link }}\">Unlock my login</a> \
         (the link works once, for 24 hours).</p>{% endif %}<p>You can also contact \
         {{ tenant }}.</p><p>If these attempts were not yours, someone may be guessing your \
         password: choose a stronger one.</p>{% endblock %}",
    ),
    (
        "locked-out.fr.txt",
        "Bonjour {{ name }},\n\nVotre identifiant {{ username }} a été bloqué après \
         {{ attempts }} tentatives de connexion échouées.{% if link %} Pour le débloquer \
         maintenant, ouvrez ce lien (il ne sert qu'une fois, pendant 24 heures) :\n\n\
         {{ link }}\n\nConnectez-vous ensuite, ou choisissez un nouveau mot de passe si vous \
         l'avez oublié.{% endif %} Vous pouvez aussi contacter {{ tenant }}\
         {% if support_email %} à {{ support_email }}{% endif %}\
         {% if support_phone %} ou au {{ support_phone }}{% endif %}.\n\nSi ces tentatives \
         ne viennent pas de vous, quelqu'un cherche peut-être votre mot de passe : \
         choisissez-en un plus sûr.\n",
    ),
    (
        "locked-out.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>Votre identifiant <b>{{ username }}</b> a été bloqué après {{ attempts }} \
         tentatives de connexion échouées.</p>{% if link %}<p><a href=\"{{ link }}\">\
         Débloquer mon identifiant</a> (le lien ne sert qu'une fois, pendant 24 heures).</p>\
         {% endif %}<p>Vous pouvez aussi contacter {{ tenant }}.</p><p>Si ces tentatives ne \
         viennent pas de vous, quelqu'un cherche peut-être votre mot de passe : \
         choisissez-en un plus sûr.</p>{% endblock %}",
    ),
    (
        "second-factor-changed.en.txt",
        "Hello {{ name }},\n\n{% if change == 'on' %}Two-factor sign-in is now on for your \
         login {{ username }}: each sign-in asks for a code from your authenticator app.\
         {% elif change == 'off' %}Two-factor sign-in is now off for your login {{ username }}.\
         {% else %}{{ tenant }} reset the two-factor sign-in of your login {{ username }}: you \
         sign in with your password alone until you set up an authenticator again.{% endif %}\
         \n\nIf this was not you, contact {{ tenant }} at once{% if support_email %} at \
         {{ support_email }}{% endif %}{% if support_phone %} or on {{ support_phone }}\
         {% endif %}.\n",
    ),
    (
        "second-factor-changed.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>{% if change == 'on' %}Two-factor sign-in is now on for your login \
         <b>{{ username }}</b>: each sign-in asks for a code from your authenticator app.\
         {% elif change == 'off' %}Two-factor sign-in is now off for your login \
         <b>{{ username }}</b>.{% else %}{{ tenant }} reset the two-factor sign-in of your \
         login <b>{{ username }}</b>: you sign in with your password alone until you set up an \
         authenticator again.{% endif %}</p><p>If this was not you, contact {{ tenant }} at \
         once.</p>{% endblock %}",
    ),
    (
        "second-factor-changed.fr.txt",
        "Bonjour {{ name }},\n\n{% if change == 'on' %}La validation en deux étapes est \
         activée pour votre identifiant {{ username }} : chaque connexion demande un code de \
         votre application d'authentification.{% elif change == 'off' %}La validation en deux \
         étapes est désactivée pour votre identifiant {{ username }}.{% else %}{{ tenant }} a \
         réinitialisé la validation en deux étapes de votre identifiant {{ username }} : votre \
         mot de passe suffit jusqu'à ce que vous configuriez de nouveau une application.\
         {% endif %}\n\nSi ce n'était pas vous, contactez {{ tenant }} sans attendre\
         {% if support_email %} à {{ support_email }}{% endif %}{% if support_phone %} ou au \
         {{ support_phone }}{% endif %}.\n",
    ),
    (
        "second-factor-changed.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>{% if change == 'on' %}La validation en deux étapes est activée pour votre \
         identifiant <b>{{ username }}</b> : chaque connexion demande un code de votre \
         application d'authentification.{% elif change == 'off' %}La validation en deux étapes \
         est désactivée pour votre identifiant <b>{{ username }}</b>.{% else %}{{ tenant }} a \
         réinitialisé la validation en deux étapes de votre identifiant <b>{{ username }}</b> : \
         votre mot de passe suffit jusqu'à ce que vous configuriez de nouveau une application.\
         {% endif %}</p><p>Si ce n'était pas vous, contactez {{ tenant }} sans attendre.</p>\
         {% endblock %}",
    ),
    (
        "usage-alert.en.txt",
        "Hello {{ name }},\n\nYour alert on {{ alert.what }} was reached in {{ alert.period }}: \
         {{ alert.reached }} so far, against the {{ alert.threshold }} you set.\n\nThis alert \
         will not be sent again this month. You can see your usage and change your alerts in \
         the portal.\n\n{{ tenant }}{% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "usage-alert.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>Your alert on <b>{{ alert.what }}</b> was reached in {{ alert.period }}: \
         <b>{{ alert.reached }}</b> so far, against the {{ alert.threshold }} you set.</p>\
         <p>This alert will not be sent again this month. You can see your usage and change \
         your alerts in the portal.</p>{% endblock %}",
    ),
    (
        "usage-alert.fr.txt",
        "Bonjour {{ name }},\n\nVotre alerte sur {{ alert.what }} est atteinte pour \
         {{ alert.period }} : {{ alert.reached }} à ce jour, pour un seuil de \
         {{ alert.threshold }}.\n\nCette alerte ne sera plus envoyée ce mois-ci. Votre \
         consommation et vos alertes sont dans le portail.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "usage-alert.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>Votre alerte sur <b>{{ alert.what }}</b> est atteinte pour {{ alert.period }} : \
         <b>{{ alert.reached }}</b> à ce jour, pour un seuil de {{ alert.threshold }}.</p>\
         <p>Cette alerte ne sera plus envoyée ce mois-ci. Votre consommation et vos alertes \
         sont dans le portail.</p>{% endblock %}",
    ),
    (
        "payment-receipt.en.txt",
        "Hello {{ name }},\n\nThank you: we received your payment of {{ payment.amount }} by \
         {{ payment.card }}{% if payment.invoice %} for invoice {{ payment.invoice }}{% endif %}.\n\n\
         Reference: {{ payment.reference }}\n\nYour transactions are in the portal.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "payment-receipt.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>Thank you: we received your payment of <b>{{ payment.amount }}</b> by \
         {{ payment.card }}{% if payment.invoice %} for invoice <b>{{ payment.invoice }}</b>\
         {% endif %}.</p><p>Reference: {{ payment.reference }}</p>\
         <p>Your transactions are in the portal.</p>{% endblock %}",
    ),
    (
        "payment-receipt.fr.txt",
        "Bonjour {{ name }},\n\nMerci : nous avons reçu votre paiement de {{ payment.amount }} \
         par {{ payment.card }}{% if payment.invoice %} pour la facture {{ payment.invoice }}\
         {% endif %}.\n\nRéférence : {{ payment.reference }}\n\nVos opérations sont dans le \
         portail.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "payment-receipt.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>Merci : nous avons reçu votre paiement de <b>{{ payment.amount }}</b> par \
         {{ payment.card }}{% if payment.invoice %} pour la facture <b>{{ payment.invoice }}</b>\
         {% endif %}.</p><p>Référence : {{ payment.reference }}</p>\
         <p>Vos opérations sont dans le portail.</p>{% endblock %}",
    ),
    (
        "payment-failed.en.txt",
        "Hello {{ name }},\n\nYour payment of {{ payment.amount }}{% if payment.card %} by \
         {{ payment.card }}{% endif %}{% if payment.invoice %} for invoice {{ payment.invoice }}\
         {% endif %} did not go through. {{ payment.reason }}\n\n\
         {% if payment.retry_on %}We will try the card again on {{ payment.retry_on }}. {% endif %}\
         {% if payment.signs_in %}To pay now or update your card, follow this link (it signs \
         you in once, within three days): {% else %}To pay now or update your card, sign in to \
         the portal: {% endif %}{{ payment.link }}\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "payment-failed.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>Your payment of <b>{{ payment.amount }}</b>{% if payment.card %} by \
         {{ payment.card }}{% endif %}{% if payment.invoice %} for invoice \
         <b>{{ payment.invoice }}</b>{% endif %} did not go through. {{ payment.reason }}</p>\
         {% if payment.retry_on %}<p>We will try the card again on {{ payment.retry_on }}.</p>\
         {% endif %}<p><a href=\"{{ payment.link }}\">Pay now or update your card</a></p>\
         {% endblock %}",
    ),
    (
        "payment-failed.fr.txt",
        "Bonjour {{ name }},\n\nVotre paiement de {{ payment.amount }}{% if payment.card %} par \
         {{ payment.card }}{% endif %}{% if payment.invoice %} pour la facture \
         {{ payment.invoice }}{% endif %} a échoué. {{ payment.reason }}\n\n\
         {% if payment.retry_on %}Nous réessaierons la carte le {{ payment.retry_on }}. \
         {% endif %}{% if payment.signs_in %}Pour payer maintenant ou changer de carte, suivez ce \
         lien (il vous connecte une fois, sous trois jours) : {% else %}Pour payer maintenant ou \
         changer de carte, connectez-vous au portail : {% endif %}{{ payment.link }}\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "payment-failed.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>Votre paiement de <b>{{ payment.amount }}</b>{% if payment.card %} par \
         {{ payment.card }}{% endif %}{% if payment.invoice %} pour la facture \
         <b>{{ payment.invoice }}</b>{% endif %} a échoué. {{ payment.reason }}</p>\
         {% if payment.retry_on %}<p>Nous réessaierons la carte le {{ payment.retry_on }}.</p>\
         {% endif %}<p><a href=\"{{ payment.link }}\">Payer maintenant ou changer de carte</a>\
         </p>{% endblock %}",
    ),
    (
        "invoice-issued.en.txt",
        "Hello {{ name }},\n\nYour invoice {{ invoice.number }} is ready: \
         {{ invoice.outstanding }} to pay by {{ invoice.due_on }}.\n\nThe invoice, its PDF and \
         your transactions are in the portal.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "invoice-issued.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>Your invoice <b>{{ invoice.number }}</b> is ready: <b>{{ invoice.outstanding }}</b> \
         to pay by {{ invoice.due_on }}.</p><p>The invoice, its PDF and your transactions are \
         in the portal.</p>{% endblock %}",
    ),
    (
        "invoice-issued.fr.txt",
        "Bonjour {{ name }},\n\nVotre facture {{ invoice.number }} est disponible : \
         {{ invoice.outstanding }} à payer avant le {{ invoice.due_on }}.\n\nLa facture, son \
         PDF et vos opérations sont dans le portail.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "invoice-issued.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>Votre facture <b>{{ invoice.number }}</b> est disponible : \
         <b>{{ invoice.outstanding }}</b> à payer avant le {{ invoice.due_on }}.</p>\
         <p>La facture, son PDF et vos opérations sont dans le portail.</p>{% endblock %}",
    ),
    (
        "invoice-overdue.en.txt",
        "Hello {{ name }},\n\nInvoice {{ invoice.number }} was due on {{ invoice.due_on }}, \
         {{ invoice.days_late }} days ago, and {{ invoice.outstanding }} of it is still to pay.\n\n\
         If you have paid it since, thank you, and please ignore this reminder. The invoice and \
         your transactions are in the portal.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "invoice-overdue.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         <p>Invoice <b>{{ invoice.number }}</b> was due on {{ invoice.due_on }}, \
         {{ invoice.days_late }} days ago, and <b>{{ invoice.outstanding }}</b> of it is still to \
         pay.</p><p>If you have paid it since, thank you, and please ignore this reminder. The \
         invoice and your transactions are in the portal.</p>{% endblock %}",
    ),
    (
        "invoice-overdue.fr.txt",
        "Bonjour {{ name }},\n\nLa facture {{ invoice.number }} était à payer le \
         {{ invoice.due_on }}, il y a {{ invoice.days_late }} jours, et il en reste \
         {{ invoice.outstanding }} à payer.\n\nSi vous l'avez réglée depuis, merci, et ignorez \
         ce rappel. La facture et vos opérations sont dans le portail.\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "invoice-overdue.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         <p>La facture <b>{{ invoice.number }}</b> était à payer le {{ invoice.due_on }}, il y a \
         {{ invoice.days_late }} jours, et il en reste <b>{{ invoice.outstanding }}</b> à payer.</p>\
         <p>Si vous l'avez réglée depuis, merci, et ignorez ce rappel. La facture et vos \
         opérations sont dans le portail.</p>{% endblock %}",
    ),
    (
        "order.en.txt",
        "Hello {{ name }},\n\n{% if order.event == 'received' %}{{ order.account }} ordered: \
         {{ order.summary }}.{% if order.waits %}\nIt waits for approval in the console.\
         {% else %}\nIt was approved automatically.{% endif %}\
         {% elif order.event == 'submitted' %}We have your order: {{ order.summary }}.\n\
         {% if order.waits %}We will tell you when it is approved.{% else %}It was approved \
         at once.{% endif %}{% elif order.event == 'approved' %}Your order was approved: \
         {{ order.summary }}.\nWe are now setting it up and will tell you when it is done.\
         {% elif order.event == 'rejected' %}Your order was not approved: {{ order.summary }}.\
         {% if order.reason %}\nReason: {{ order.reason }}{% endif %}\
         {% elif order.event == 'halted' %}We had to stop setting up your order: \
         {{ order.summary }}.\nWhat we need: {{ order.reason }}\nChange it in the portal and \
         send the order again.{% else %}Your order is done: {{ order.summary }}.{% endif %}\
         \n\nOrder reference: {{ order.reference }}{% if order.link %}\n{{ order.link }}\
         {% endif %}\n\n{{ tenant }}\
         {% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "order.en.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Hello {{ name }},</p>\
         {% if order.event == 'received' %}<p>{{ order.account }} ordered: \
         <b>{{ order.summary }}</b>.</p><p>{% if order.waits %}It waits for approval in the \
         console.{% else %}It was approved automatically.{% endif %}</p>\
         {% elif order.event == 'submitted' %}<p>We have your order: \
         <b>{{ order.summary }}</b>.</p><p>{% if order.waits %}We will tell you when it is \
         approved.{% else %}It was approved at once.{% endif %}</p>\
         {% elif order.event == 'approved' %}<p>Your order was approved: \
         <b>{{ order.summary }}</b>.</p><p>We are now setting it up and will tell you when it \
         is done.</p>{% elif order.event == 'rejected' %}<p>Your order was not approved: \
         <b>{{ order.summary }}</b>.</p>{% if order.reason %}<p>Reason: {{ order.reason }}</p>\
         {% endif %}{% elif order.event == 'halted' %}<p>We had to stop setting up your order: \
         <b>{{ order.summary }}</b>.</p><p>What we need: {{ order.reason }}</p><p>Change it in \
         the portal and send the order again.</p>{% else %}<p>Your order is done: \
         <b>{{ order.summary }}</b>.</p>{% endif %}<p>Order reference: {{ order.reference }}</p>{% if order.link %}<p>\
         <a href=\"{{ order.link }}\">See the order</a></p>{% endif %}\
         {% endblock %}",
    ),
    (
        "order.fr.txt",
        "Bonjour {{ name }},\n\n{% if order.event == 'received' %}{{ order.account }} a \
         commandé : {{ order.summary }}.{% if order.waits %}\nElle attend une approbation \
         dans la console.{% else %}\nElle a été approuvée automatiquement.{% endif %}\
         {% elif order.event == 'submitted' %}Nous avons reçu votre commande : \
         {{ order.summary }}.\n{% if order.waits %}Nous vous dirons quand elle sera \
         approuvée.{% else %}Elle a été approuvée aussitôt.{% endif %}\
         {% elif order.event == 'approved' %}Votre commande est approuvée : \
         {{ order.summary }}.\nNous la mettons en place et vous dirons quand ce sera fait.\
         {% elif order.event == 'rejected' %}Votre commande n'a pas été approuvée : \
         {{ order.summary }}.{% if order.reason %}\nMotif : {{ order.reason }}{% endif %}\
         {% elif order.event == 'halted' %}Nous avons dû interrompre la mise en place de \
         votre commande : {{ order.summary }}.\nCe qu'il nous faut : {{ order.reason }}\n\
         Modifiez-la dans le portail et renvoyez-la.{% else %}Votre commande est terminée : \
         {{ order.summary }}.{% endif %}\n\nRéférence de la commande : {{ order.reference }}\
         {% if order.link %}\n{{ order.link }}{% endif %}\n\n{{ tenant }}{% if support_email %}\n{{ support_email }}{% endif %}\
         {% if support_phone %}\n{{ support_phone }}{% endif %}\n",
    ),
    (
        "order.fr.html",
        "{% extends \"layout.html\" %}{% block body %}<p>Bonjour {{ name }},</p>\
         {% if order.event == 'received' %}<p>{{ order.account }} a commandé : \
         <b>{{ order.summary }}</b>.</p><p>{% if order.waits %}Elle attend une approbation \
         dans la console.{% else %}Elle a été approuvée automatiquement.{% endif %}</p>\
         {% elif order.event == 'submitted' %}<p>Nous avons reçu votre commande : \
         <b>{{ order.summary }}</b>.</p><p>{% if order.waits %}Nous vous dirons quand elle \
         sera approuvée.{% else %}Elle a été approuvée aussitôt.{% endif %}</p>\
         {% elif order.event == 'approved' %}<p>Votre commande est approuvée : \
         <b>{{ order.summary }}</b>.</p><p>Nous la mettons en place et vous dirons quand ce \
         sera fait.</p>{% elif order.event == 'rejected' %}<p>Votre commande n'a pas été \
         approuvée : <b>{{ order.summary }}</b>.</p>{% if order.reason %}<p>Motif : \
         {{ order.reason }}</p>{% endif %}{% elif order.event == 'halted' %}<p>Nous avons dû \
         interrompre la mise en place de votre commande : <b>{{ order.summary }}</b>.</p>\
         <p>Ce qu'il nous faut : {{ order.reason }}</p><p>Modifiez-la dans le portail et \
         renvoyez-la.</p>{% else %}<p>Votre commande est terminée : \
         <b>{{ order.summary }}</b>.</p>{% endif %}<p>Référence de la commande : \
         {{ order.reference }}</p>{% if order.link %}<p><a href=\"{{ order.link }}\">Voir la \
         commande</a></p>{% endif %}{% endblock %}",
    ),
];

pub(super) static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // HTML templates escape what they print; text templates print as is.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "a mail template does not parse");
        }
    }
    env
});
