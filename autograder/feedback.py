"""A feedback preprocessor: a hidden test's error without its traceback.

nbgrader's ClearHiddenTests removes the hidden lines from a cell's source, but a failed hidden
test's traceback quotes them (the failing line and the lines around it). In feedback, a cell that
holds hidden tests shows only the error's type and message, which the instructor wrote for students.
"""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class HiddenTestTracebacks(Preprocessor):
    enabled = Bool(True)  # nbgrader registers its preprocessors without enabling them

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
