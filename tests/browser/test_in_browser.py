"""What students and instructors see in JupyterLab, read from the page itself."""

import time

import pytest
from dask.distributed import LocalCluster

from browser.conftest import SCREENSHOTS
from browser.lab import free_port, jupyterlab
from repo import MODULES, REPO

ALL_RAN = """() => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
    return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
}"""


def open_notebook(page, served, path):
    base, token = served
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}")  # reset: no tabs left from earlier tests
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell >> nth=0", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=60_000)


def run_all(page, seconds):
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function(ALL_RAN, timeout=seconds * 1000)


@pytest.mark.parametrize("module", MODULES)
def test_lesson_runs_and_its_explorer_reacts(page, served, module):
    notebook = next((REPO / "lessons" / module).glob("*.ipynb")).name
    open_notebook(page, served, f"{module}/{notebook}")
    assert page.locator(".jp-MarkdownCell h1").first.inner_text().startswith(module[:2]), "the lesson's title"
    page.screenshot(path=SCREENSHOTS / f"{module}-opened.png")

    open_notebook(page, served, f"{module}-completed/{notebook}")
    run_all(page, seconds=300)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"Run All on {module} (solutions pasted in) showed errors:\n" + \
        "\n---\n".join(errors.all_inner_texts())[:3000]

    explorer = page.locator(".widget-vbox", has=page.locator(".widget-slider", has_text="parallel fraction p")).last
    explorer.scroll_into_view_if_needed()
    readout = explorer.locator(".widget-html-content", has_text="Amdahl speedup")
    picture = explorer.locator(".widget-output img")
    before = readout.inner_text(), picture.get_attribute("src")
    slider = explorer.locator(".widget-slider", has_text="parallel fraction p")
    # Move towards the side with room: a fit on a loaded or 1-core machine can start p at 0.
    direction = "ArrowRight" if float(slider.locator(".widget-readout").inner_text()) < 0.5 else "ArrowLeft"
    slider.locator(".noUi-handle").focus()
    for _ in range(10):
        page.keyboard.press(direction)
    deadline = time.monotonic() + 30
    while True:  # the kernel redraws the numbers first, then the picture
        after = readout.inner_text(), picture.get_attribute("src")
        if after[0] != before[0] and after[1] != before[1] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert after[0] != before[0], "the numbers in the readout did not follow the slider"
    assert after[1] != before[1], "the plot did not follow the slider"
    explorer.screenshot(path=SCREENSHOTS / f"{module}-explorer.png")


def test_validate_reports_failures_then_success(page, served):
    module = MODULES[0]
    notebook = next((REPO / "lessons" / module).glob("*.ipynb")).name
    for folder, expected in ((module, "The following cell failed"),
                             (f"{module}-completed", "Success! Your notebook passes all the tests.")):
        open_notebook(page, served, f"{folder}/{notebook}")
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar").get_by_text("Validate").click()
        dialog = page.locator(".jp-Dialog")
        dialog.get_by_text("Validation Results").wait_for(timeout=180_000)
        assert expected in dialog.inner_text(), dialog.inner_text()[:2000]
        page.screenshot(path=SCREENSHOTS / f"validate-{folder}.png")


def test_formgrader_opens_for_the_course(page, tmp_path):
    # The instructor's server (`make instructor`) serves the whole course.
    with jupyterlab(REPO, tmp_path / "instructor.log") as (base, token):
        page.goto(f"{base}/formgrader?token={token}")
        page.get_by_text("Manage Assignments").first.wait_for(timeout=60_000)
        for module in MODULES:
            page.get_by_text(module).first.wait_for(timeout=60_000)
        assert "error" not in page.inner_text("body").lower()
        page.screenshot(path=SCREENSHOTS / "formgrader.png")


def test_dask_dashboard_opens_through_the_proxy(page, served):
    base, token = served
    port = free_port()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=f"127.0.0.1:{port}") as cluster:
        page.goto(f"{base}/proxy/{port}/status?token={token}")
        assert page.title() == "Dask Diagnostic UI"
        page.get_by_role("link", name="Workers").first.wait_for(timeout=60_000)  # the dashboard's own menu
        page.wait_for_selector(".bk-Canvas, canvas", state="attached", timeout=60_000)  # Bokeh drew its plots
        assert cluster.dashboard_link.endswith(f":{port}/status")
        page.screenshot(path=SCREENSHOTS / "dask-dashboard.png")
