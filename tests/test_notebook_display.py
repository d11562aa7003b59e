"""In a Jupyter kernel, a figure the library returns is drawn once: as a cell's value, after `fig =` or `;`, and in a
later cell that shows `fig` again (`fastcourse.course.shown_once`)."""
import nbformat
from nbclient import NotebookClient

CELLS = ['''%matplotlib inline
import matplotlib.pyplot as plt
from torch import nn
from fastcourse.learner import Learner, synthetic_dls
learn = Learner(synthetic_dls(), nn.Linear(1, 1), loss_func=nn.MSELoss(), lr=0.1)
with learn.no_bar(), learn.no_logging(): learn.fit(1)''',
         'learn.recorder.plot_loss()',  # the cell's value
         'fig = learn.recorder.plot_sched()',
         'fig',  # a later cell
         'learn.recorder.plot_loss();',
         'plt.subplots()[0]']  # a figure the library did not mark: drawn twice, which is what the others avoid

def test_library_figures_are_drawn_once_in_a_notebook():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, kernel_name='python3', timeout=300).execute()
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == 'error']
    assert not errors, errors
    images = [sum('image/png' in o.get('data', {}) for o in c.outputs) for c in nb.cells[1:]]
    assert images == [1, 1, 1, 1, 2], images
