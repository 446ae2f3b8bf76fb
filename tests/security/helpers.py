import time
from binascii import unhexlify

from django_otp.oath import TOTP


def totp_token(device, *, offset_steps: int = 0) -> str:
    """The code an authenticator app shows for `device`, `offset_steps` periods from now."""
    totp = TOTP(unhexlify(device.key.encode()), device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"
