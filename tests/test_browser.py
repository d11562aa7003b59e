"""The course in a real browser: JupyterLab headless on 127.0.0.1, driven through Playwright and Debian's Chromium.

Opens a chapter, runs its questionnaire cell, types an answer, checks that it lands in the answers file and comes
back after a kernel restart, runs `doc(untar_data)` and checks that its links render, and saves a screenshot to
`_artifacts/`. Skipped, with the reason, when Chromium or Playwright is missing (`.ci/run` installs both).
"""
import json, os, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get('FASTCOURSE_CHROMIUM', '/usr/bin/chromium')
ARTIFACTS = ROOT/'_artifacts'

def _skip_reason():
    if not Path(CHROMIUM).exists(): return f'Chromium not found at {CHROMIUM} (apt-get install chromium, or set FASTCOURSE_CHROMIUM)'
    try: import playwright.sync_api  # noqa: F401
    except ImportError: return 'Playwright is not installed (pip install playwright)'
    return None

pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))

def _free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _wait_for(pred, timeout:float, what:str, every:float=0.25):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v: return v
        time.sleep(every)
    raise AssertionError(f'timed out after {timeout}s waiting for {what}')

@pytest.fixture
def lab(tmp_path):
    "A JupyterLab server on 127.0.0.1 serving a copy of a chapter, with answers going to a temporary folder."
    work, answers = tmp_path/'work', tmp_path/'answers'
    work.mkdir(); answers.mkdir()
    nb = json.loads((ROOT/'nbs'/'00a_ethics.ipynb').read_text())
    nb['cells'].append({'cell_type': 'code', 'execution_count': None, 'id': 'doccell', 'metadata': {}, 'outputs': [],
                        'source': 'from fastcourse.course import doc\nfrom fastcourse.external import untar_data\ndoc(untar_data)'})
    (work/'ethics.ipynb').write_text(json.dumps(nb))
    port, token = _free_port(), 'fastcourse-test-token'
    env = {**os.environ, 'FASTCOURSE_ANSWERS': str(answers), 'JUPYTER_CONFIG_DIR': str(tmp_path/'jcfg'),
           'JUPYTER_RUNTIME_DIR': str(tmp_path/'jrun'), 'JUPYTERLAB_SETTINGS_DIR': str(tmp_path/'jset'),
           'JUPYTERLAB_WORKSPACES_DIR': str(tmp_path/'jws')}
    cmd = [str(Path(sys.executable).parent/'jupyter'), 'lab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
           f'--ServerApp.token={token}', f'--ServerApp.root_dir={work}', '--ServerApp.open_browser=False',
           '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
    if hasattr(os, 'geteuid') and os.geteuid() == 0: cmd.append('--allow-root')
    log = open(tmp_path/'lab.log', 'w')
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    def up():
        try: return urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=2).status == 200
        except OSError: return False
    try:
        _wait_for(lambda: up() or proc.poll() is not None, 90, 'JupyterLab to start')
        assert proc.poll() is None, (tmp_path/'lab.log').read_text()[-3000:]
        yield {'base': base, 'token': token, 'answers': answers, 'log': tmp_path/'lab.log'}
    finally:
        proc.terminate()
        try: proc.wait(15)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()

def _api(lab, path, method='GET'):
    req = urllib.request.Request(f"{lab['base']}{path}?token={lab['token']}", method=method, data=b'' if method == 'POST' else None)
    with urllib.request.urlopen(req, timeout=30) as r: return json.loads(r.read() or b'null')

def _run_cell(page, text:str):
    "Select the code cell containing `text` and run it with Shift+Enter."
    cell = page.locator('.jp-CodeCell', has_text=text).first
    cell.locator('.jp-InputArea-editor').click()
    page.keyboard.press('Escape'); page.keyboard.press('Shift+Enter')
    return cell

def _run_until_shown(page, text:str, selector:str, tries:int=3, timeout:int=40_000):
    "Run the cell containing `text` until `selector` shows in it: a run sent while the page reconnects to a restarted kernel can be lost."
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for i in range(tries):
        cell = _run_cell(page, text)
        try: cell.locator(selector).wait_for(timeout=timeout); return cell
        except PlaywrightTimeout:
            if i == tries - 1: raise

def _accept_kernel_dialog(page):
    "JupyterLab may ask which kernel to use for a notebook it has not seen: take the proposed Python 3 kernel."
    btn = page.locator('.jp-Dialog button', has_text='Select')
    try: btn.wait_for(timeout=10_000)
    except Exception: return
    btn.click()

def test_questionnaire_and_doc_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright
    answer_file = lab['answers']/'00a_ethics.json'
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'])
        page = browser.new_page(viewport={'width': 1400, 'height': 1000})
        try:
            page.goto(f"{lab['base']}/lab/tree/ethics.ipynb?token={lab['token']}")
            page.wait_for_selector('.jp-NotebookPanel .jp-CodeCell', timeout=90_000)
            _accept_kernel_dialog(page)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000)

            cell = _run_cell(page, "questionnaire('00a_ethics')")
            box = cell.locator('.fastcourse-answer-1 textarea')
            box.wait_for(timeout=60_000)
            assert cell.locator('text=answered 0 of').count() == 1
            box.fill('A model whose outputs become its next training data.')
            box.press('Tab')  # leaving the box saves the answer
            _wait_for(lambda: answer_file.exists() and json.loads(answer_file.read_text())['answers'].get('1'), 30, 'the answer file')
            assert json.loads(answer_file.read_text())['answers'] == {'1': 'A model whose outputs become its next training data.'}
            cell.locator('text=answered 1 of').wait_for(timeout=10_000)

            kernels = _api(lab, '/api/kernels')
            assert len(kernels) == 1
            _api(lab, f"/api/kernels/{kernels[0]['id']}/restart", 'POST')
            _wait_for(lambda: _api(lab, f"/api/kernels/{kernels[0]['id']}")['execution_state'] == 'idle', 90, 'the restarted kernel')
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000)
            cell = _run_until_shown(page, "questionnaire('00a_ethics')", '.fastcourse-answer-1 textarea')
            box = cell.locator('.fastcourse-answer-1 textarea')
            page.wait_for_function("el => el.value.length > 0", arg=box.element_handle(), timeout=30_000)
            assert box.input_value() == 'A model whose outputs become its next training data.'  # restored from the file
            cell.locator('text=answered 1 of').wait_for(timeout=10_000)

            cell = _run_cell(page, 'doc(untar_data)')
            src = cell.locator('.jp-OutputArea a[href*="github.com/fastcourse/fastcourse/blob/"]')
            src.wait_for(timeout=60_000)
            assert '/fastcourse/external.py#L' in src.get_attribute('href')
            assert cell.locator('.jp-OutputArea a[href$="/external.html#untar_data"]').count() == 1
            assert cell.locator('.jp-OutputArea', has_text='01a_external.ipynb').count() == 1
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS/'browser_course.png'), full_page=True)
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS/'browser_course_failure.png'), full_page=True)
            print(lab['log'].read_text()[-4000:])
            raise
        finally: browser.close()
