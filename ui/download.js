// Downloads an API export (CSV) with the session's token: the server streams it, the browser saves it.
import { ApiError, session } from './api.js';

export async function download(path, filename) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${session.token}`, accept: 'text/csv' } });
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      const e = (await res.json()).error;
      if (e) message = `${e.message} (${e.code})`;
    } catch {
      // not JSON: keep the status
    }
    throw new ApiError(message, res.status);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has handed the blob to the download; free it once that has started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
