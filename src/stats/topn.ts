// Top-N selection over table ids without building a row per entry: a fixed-size binary heap whose
// root is the worst kept id, so each candidate costs one compare (and a sift when it enters).
// Used by the views that show a window of a large table (the dashboard at ~1 Hz).

/**
 * The `n` ids that come first in the order `before(a, b)` (a strictly before b; a total order
 * over ids), in that order. `each` visits every candidate id once.
 */
export function selectTop(n: number, each: (visit: (id: number) => void) => void, before: (a: number, b: number) => boolean): number[] {
  const heap: number[] = [];
  if (n <= 0) return heap;
  // max-heap by "before": heap[0] is the id that comes last among those kept
  const down = (i: number): void => {
    const len = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= len) return;
      let m = l;
      if (l + 1 < len && before(heap[l], heap[l + 1])) m = l + 1;
      if (!before(heap[i], heap[m])) return;
      const t = heap[i];
      heap[i] = heap[m];
      heap[m] = t;
      i = m;
    }
  };
  each((id) => {
    if (heap.length < n) {
      heap.push(id);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!before(heap[p], heap[i])) break;
        const t = heap[i];
        heap[i] = heap[p];
        heap[p] = t;
        i = p;
      }
    } else if (before(id, heap[0])) {
      heap[0] = id;
      down(0);
    }
  });
  return heap.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
}
