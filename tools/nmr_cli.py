"""nmr_cli.py - the command line of the Python tools (nmr-campaign,
nmr-coverage, nmr-add-regress), failing as the C tools do (replay/opts.h):
a bad option or value, or a bad input, is one line `<tool>: <reason>` (a
bad usage adds the pointer `<tool>: usage: <tool> --help`) on stderr, and
exit 2; never argparse's usage block or a Python traceback.
Standard library only."""
import argparse
import re
import sys

EXIT_CLEAN, EXIT_VIOLATION, EXIT_BAD = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse with the C tools' message form: 'nmr-campaign: --seed: ...', exit 2."""

    def error(self, message):
        message = re.sub(r"^argument (\S+?)(/\S+)?: ", r"\1: ", message)
        message = message.replace("expected one argument", "needs a value")
        m = re.match(r"^unrecognized arguments: (.*)", message)
        if m:
            extra = m.group(1).split()
            message = "unknown option '%s'" % extra[0] if len(extra) == 1 else \
                "unknown option(s) or extra operand(s) '%s'" % m.group(1)
        message = re.sub(r"^the following arguments are required: (.*)", r"missing \1 (see --help)", message)
        fail(self.prog, message, usage=True)


def fail(tool, reason, usage=False):
    """Print `tool: reason` (and the --help pointer for a bad usage) and exit 2."""
    sys.stderr.write("%s: %s\n" % (tool, reason))
    if usage:
        sys.stderr.write("%s: usage: %s --help\n" % (tool, tool))
    sys.exit(EXIT_BAD)
