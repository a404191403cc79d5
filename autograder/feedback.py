"""A feedback preprocessor: no hidden test shows in feedback, whoever quotes it.

nbgrader's ClearHiddenTests removes the hidden lines from a cell's source, but they can reach the
feedback in other ways: a failed hidden test's traceback quotes them (the failing line and the
lines around it), and a student's code can print them (read from the grading course's
gradebook, which holds every test cell). So, in feedback, a cell that holds hidden tests shows
only its error's type and message, which the instructor wrote for students, and any output line
that contains a hidden line is replaced by a note.
"""

import html
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Int

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
REMOVED = "[a line of a hidden test: not shown in feedback]"


class HideHiddenTests(Preprocessor):
    enabled = Bool(True)  # nbgrader registers its preprocessors without enabling them
    hidden = frozenset()  # the lines to remove: set per notebook by preprocess()
    min_length = Int(20, help="Hidden lines shorter than this (`else:`, `pass`) give nothing away.").tag(config=True)

    def preprocess(self, nb, resources):
        hidden, visible = set(), set()
        for cell in nb.cells:
            if cell.cell_type == "code":
                for block in HIDDEN.findall(cell.source):
                    hidden |= {line.strip() for line in block.splitlines() if len(line.strip()) >= self.min_length}
                visible |= {line.strip() for line in HIDDEN.sub("", cell.source).splitlines()}
        # A line the notebook also shows (a given cell's, say) gives nothing away.
        shown = "\n".join(visible)
        hidden = {line for line in hidden if line not in shown}
        self.hidden = hidden | {html.escape(line) for line in hidden}
        return super().preprocess(nb, resources)

    def scrub(self, text):
        if not self.hidden or not isinstance(text, str):
            return text
        return "".join(REMOVED + ("\n" if line.endswith("\n") else "")
                       if any(hidden in line for hidden in self.hidden) else line
                       for line in text.splitlines(keepends=True))

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                if "BEGIN HIDDEN TESTS" in cell.source:
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
                output["evalue"] = self.scrub(output.get("evalue", ""))
                output["traceback"] = [self.scrub(line) for line in output.get("traceback", [])]
            elif output.get("output_type") == "stream":
                output["text"] = self.scrub(output.get("text", ""))
            else:  # display data and results: every text form
                for mime, value in output.get("data", {}).items():
                    if mime.startswith("text/"):
                        output["data"][mime] = self.scrub("".join(value) if isinstance(value, list) else value)
        return cell, resources
