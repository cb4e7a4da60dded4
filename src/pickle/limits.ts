/**
 * The shape check run on every unpickled value before anyone reads it: no reference cycles and
 * no nesting deeper than a limit. The unpickler itself is a loop, but the code that reads the
 * result walks it, so an adversarial pickle must not be able to make that walk explode.
 * Iterative, and each shared object is measured once (a DAG of shared references stays linear).
 */
import { PickleError } from './errors.js';
import { NDArray, NumpyScalar, PyDict, PyObject, PySet, PyTuple, type PyValue } from './types.js';

function childrenOf(value: PyValue): readonly PyValue[] | null {
  if (Array.isArray(value)) return value;
  if (value instanceof PyTuple || value instanceof PySet) return value.items;
  if (value instanceof PyDict) return [...value.keys(), ...value.values()];
  if (value instanceof PyObject) {
    const out: PyValue[] = [...value.args, ...value.listItems, ...value.dictItems.keys(), ...value.dictItems.values()];
    if (value.kwargs !== null) out.push(value.kwargs);
    if (value.state !== undefined) out.push(value.state);
    return out;
  }
  if (value instanceof NDArray) {
    if (value.data instanceof Map) return [...value.data.values()];
    return value.dtype.kind === 'O' ? (value.data as PyValue[]) : null;
  }
  if (value instanceof NumpyScalar && value.dtype.kind === 'O') return [value.value];
  return null;
}

interface Frame {
  node: object;
  children: readonly PyValue[];
  next: number;
  /** the greatest height among the children measured so far */
  tallest: number;
}

export function checkShape(root: PyValue, maxDepth: number): void {
  const rootChildren = childrenOf(root);
  if (rootChildren === null) return;
  const height = new Map<object, number>();
  const onPath = new Set<object>();
  const path: Frame[] = [{ node: root as object, children: rootChildren, next: 0, tallest: 0 }];
  onPath.add(root as object);
  while (path.length > 0) {
    const frame = path[path.length - 1]!;
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++]!;
      const grandChildren = childrenOf(child);
      if (grandChildren === null) continue;
      const node = child as object;
      const known = height.get(node);
      if (known !== undefined) {
        if (path.length + known > maxDepth) throw tooDeep(maxDepth);
        frame.tallest = Math.max(frame.tallest, known);
        continue;
      }
      if (onPath.has(node)) throw new PickleError('pickle holds a reference cycle, which flowgate does not load');
      if (path.length + 1 > maxDepth) throw tooDeep(maxDepth);
      onPath.add(node);
      path.push({ node, children: grandChildren, next: 0, tallest: 0 });
    } else {
      path.pop();
      onPath.delete(frame.node);
      const h = frame.tallest + 1;
      height.set(frame.node, h);
      const parent = path[path.length - 1];
      if (parent !== undefined) parent.tallest = Math.max(parent.tallest, h);
    }
  }
}

function tooDeep(maxDepth: number): PickleError {
  return new PickleError(`pickle nests values more than ${maxDepth} levels deep, which flowgate does not load`);
}
