from setuptools import find_packages, setup

requires = [
    "pyramid>=2.0,<3",
    "pyramid_jinja2>=2.10",
    "pyramid_tm>=2.5",
    "pyramid_mailer>=0.15.1",
    # 4.5 is the release whose spool format and quirks the queue runner is
    # written against (see DESIGN.md); a new major release must be re-checked.
    "repoze.sendmail>=4.5,<5",
    "deform>=3.0,<4",
    "colander>=2.0",
    "cornice>=6.1",
    "SQLAlchemy>=2.0,<3",
    "zope.sqlalchemy>=3.0",
    "transaction>=4.0",
    "alembic>=1.13",
    # The Redis extra only: with pika importable dramatiq would default to
    # RabbitMQ for any actor declared before our broker is set.
    "dramatiq[redis]>=1.17,<3",
    "aiosmtpd>=1.4.6",
    "argon2-cffi>=23.1",
    "email-validator>=2.1",
    "tzdata",
    "waitress>=3.0",
    "plaster_pastedeploy",
    "psycopg[binary]>=3.1",
    # setuptools 81 removed pkg_resources, which pyramid and deform import.
    "setuptools<81",
]

tests_require = [
    "pytest>=8",
    "WebTest>=3.0",
    "playwright>=1.60,<2",
    "ruff",
]

setup(
    name="wgmail",
    version="0.1.0",
    description="Send an HTML email at the moment you choose.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    package_data={
        "wgmail": ["templates/*.jinja2", "templates/mail/*", "static/*"],
    },
    zip_safe=False,
    install_requires=requires,
    extras_require={"testing": tests_require},
    entry_points={
        "paste.app_factory": ["main = wgmail:main"],
        "paste.server_factory": ["embedded = wgmail.serve:embedded_server"],
        "console_scripts": [
            "wgmail-worker = wgmail.scripts.worker:main",
            "wgmail-runner = wgmail.scripts.runner:main",
            "wgmail-demo = wgmail.scripts.demo:main",
        ],
    },
)
