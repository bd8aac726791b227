from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "motcua.registers"
    label = "registers"
    verbose_name = "Hợp nhất sổ đăng ký"
