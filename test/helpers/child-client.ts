/**
 * Posts a large iris `dataframe_split` body from a child process, so that building and
 * sending it costs the test's own thread (which runs the server in-process) nothing.
 * `onSend` runs just before the child sends (to start measuring there).
 */
import { spawn } from 'node:child_process';

export const IRIS_COLUMNS = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];

export interface ChildAnswer {
  status: number;
  /** the number of predictions, or -1 when the answer has none */
  predictions: number;
  /** the body of an answer without predictions */
  text: string;
}

export function postIrisFromChild(url: string, rows: number, onSend: () => void = () => undefined): Promise<ChildAnswer> {
  const script = `
    const data = Array.from({ length: ${rows} }, (_, i) => [4.5 + (i % 35) / 10, 2 + (i % 20) / 10, 1 + (i % 59) / 10, 0.1 + (i % 24) / 10]);
    const body = JSON.stringify({ dataframe_split: { columns: ${JSON.stringify(IRIS_COLUMNS)}, data } });
    process.stdin.once('data', async () => {
      const res = await fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const text = await res.text();
      let predictions = -1;
      try { predictions = JSON.parse(text).predictions.length; } catch {}
      process.stdout.write(JSON.stringify({ status: res.status, predictions, text: predictions < 0 ? text : '' }));
      process.exit(0);
    });
    process.stdout.write('ready\\n');`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && out === 'ready\n') {
        sent = true;
        out = '';
        onSend();
        child.stdin.write('go\n');
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out) as ChildAnswer);
      } catch (err) {
        reject(new Error(`the client process answered ${JSON.stringify(out)}: ${(err as Error).message}`));
      }
    });
  });
}
