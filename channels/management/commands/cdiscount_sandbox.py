"""`python manage.py cdiscount_sandbox`: run the local Octopia Seller API v2 fake in the foreground.

The server itself (channels.sandbox) uses no Django and never touches the product's database;
this command only reads its options and starts it.
"""

import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from channels.sandbox import Faults, SandboxConfig, SandboxServer


class Command(BaseCommand):
    help = "Run the Cdiscount (Octopia Seller API v2) sandbox marketplace on loopback."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--seed", type=int, default=1, help="Seed of the generated data.")
        parser.add_argument("--orders", type=int, default=200, help="Orders generated on a fresh state.")
        parser.add_argument("--days", type=int, default=20, help="Generated orders span this many days back.")
        parser.add_argument("--malformed", type=int, default=0, help="How many generated orders are malformed.")
        parser.add_argument("--state-file", default="var/sandbox-state.json", help="Relative to the project root.")
        parser.add_argument("--reset", action="store_true", help="Ignore the state file and generate afresh.")
        parser.add_argument("--client-id", default="demo-client")
        parser.add_argument("--client-secret", default="demo-secret")
        parser.add_argument("--seller-id", default="98979")
        parser.add_argument("--tick-seconds", type=float, default=30.0, help="Lifecycle ticker period; 0 turns it off.")
        parser.add_argument("--new-orders-per-tick", type=int, default=1)
        parser.add_argument("--token-lifetime", type=int, default=7200, help="expires_in of issued tokens.")
        parser.add_argument(
            "--invoice-import-seconds", type=float, default=2.0, help="An invoice import runs this long, then ends."
        )
        faults = parser.add_argument_group("faults")
        faults.add_argument("--latency", type=float, default=0.0, help="Seconds added to every API request.")
        faults.add_argument("--error-rate", type=float, default=0.0, help="Share of API requests answered 503.")
        faults.add_argument("--timeout-rate", type=float, default=0.0, help="Share of API requests left hanging.")
        faults.add_argument("--timeout-sleep", type=float, default=31.0, help="How long a hanging request hangs.")
        faults.add_argument("--rate-limit-rate", type=float, default=0.0, help="Share answered 429.")
        faults.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of a 429, in seconds.")
        faults.add_argument("--lost-answer-rate", type=float, default=0.0, help="Share of POSTs recorded, unanswered.")
        faults.add_argument("--token-ttl", type=float, default=None, help="Tokens really die after this (seconds).")

    def handle(self, *args: Any, **options: Any) -> None:
        state_file = Path(options["state_file"])
        if not state_file.is_absolute():
            state_file = Path(settings.BASE_DIR) / state_file
        faults = Faults(
            latency=options["latency"],
            error_rate=options["error_rate"],
            timeout_rate=options["timeout_rate"],
            timeout_sleep=options["timeout_sleep"],
            rate_limit_rate=options["rate_limit_rate"],
            retry_after=options["retry_after"],
            lost_answer_rate=options["lost_answer_rate"],
            token_ttl=options["token_ttl"],
        )
        config = SandboxConfig(
            seed=options["seed"],
            orders=options["orders"],
            client_id=options["client_id"],
            client_secret=options["client_secret"],
            seller_id=options["seller_id"],
            state_file=state_file,
            reset=options["reset"],
            days=options["days"],
            malformed=options["malformed"],
            tick_seconds=options["tick_seconds"],
            new_orders_per_tick=options["new_orders_per_tick"],
            token_lifetime=options["token_lifetime"],
            invoice_import_seconds=options["invoice_import_seconds"],
            faults=faults,
        )
        server = SandboxServer(config=config, host=options["host"], port=options["port"])
        summary = server.state.summary()
        self.stdout.write(
            f"Cdiscount sandbox on {server.base_url} (seller {config.seller_id}, client id {config.client_id}): "
            f"{summary['orders']} orders, state in {state_file}"
        )
        self.stdout.write(f"  token URL: {server.token_url}")
        self.stdout.write(f"  API base:  {server.api_base_url}")
        self.stdout.write(f"  control:   {server.base_url}/_sandbox/health")
        # `make run` may stop us with SIGTERM: leave the same way as on Ctrl-C, saving the state.
        signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Sandbox stopped; state saved.")


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
