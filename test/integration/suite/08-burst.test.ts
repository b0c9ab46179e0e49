import * as assert from 'assert';
import { activate, type TestApi, waitFor } from '../harness';

describe('a burst of writes', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });

  it('1,000 task updates repaint the Tasks view a handful of times, not 1,000', async function () {
    const tasks = api.testing.views.tasks;
    const before = tasks.loadCount;
    await Promise.all(Array.from({ length: 1000 }, (_, i) => api.updateTaskProgress('burst', { status: 'in_progress', percentage: (i % 100) + 1 })));
    await api.updateTaskProgress('burst', { description: 'Burst done', percentage: 100, status: 'completed' });
    await waitFor(() => tasks.visibleTaskIds().includes('burst') && tasks.getTreeItem(tasks.getChildren().find(n => n.taskId === 'burst')!).description === 'done', 'final state drawn');
    const loads = tasks.loadCount - before;
    assert.ok(loads >= 1 && loads < 50, `${loads} loads for 1,001 writes`);
  });
});
