// The console's only door to the API: same origin, relative /v1 paths, a bearer session token.
// Errors arrive as {"error": {"code", "message"}} and are raised as ApiError for screens to show.

const TOKEN_KEY = "buzzi.console.session";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }

  /** The message plus which fields were refused, as one readable line. */
  describe(): string {
    if (!this.fields.length) return this.message;
    return `${this.message} ${this.fields.map((f) => `${f.field.replace(/^body\./, "")}: ${f.message}`).join("; ")}`;
  }
}

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** Listeners hear about a 401: the session expired or was revoked, so the app signs out. */
const unauthorisedListeners = new Set<() => void>();
export function onUnauthorised(listener: () => void): () => void {
  unauthorisedListeners.add(listener);
  return () => unauthorisedListeners.delete(listener);
}

function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function errorFrom(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; fields?: [] } };
    if (body.error?.message) {
      return new ApiError(status, body.error.code ?? "error", body.error.message, body.error.fields ?? []);
    }
  } catch {
    // not JSON: fall through to a generic message
  }
  return new ApiError(status, "http_error", `The server answered ${status}.`);
}

function failed(error: ApiError): never {
  if (error.status === 401 && getToken()) unauthorisedListeners.forEach((listener) => listener());
  throw error;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  let response: Response;
  try {
    response = await fetch(withQuery(path, query), {
      method,
      headers: { ...authHeaders(), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network_error", "Cannot reach the Buzzi API. Check your connection and try again.");
  }
  const text = await response.text();
  if (!response.ok) failed(errorFrom(response.status, text));
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", path, undefined, query),
  post: <T>(path: string, body: unknown = {}, query?: Query) => request<T>("POST", path, body, query),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  del: <T>(path: string, query?: Query) => request<T>("DELETE", path, undefined, query),
};

/** The raw body of a GET (CSV exports), with the session's authorisation. */
export async function download(path: string, query?: Query): Promise<Blob> {
  const response = await fetch(withQuery(path, query), { headers: authHeaders() });
  if (!response.ok) failed(errorFrom(response.status, await response.text()));
  return response.blob();
}

export interface UploadTarget {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** Send the session token: true for our API, false for a presigned storage URL. */
  authorised: boolean;
}

/** Uploads a file with XMLHttpRequest, the one browser API that reports upload progress. */
export function uploadWithProgress<T>(
  target: UploadTarget,
  file: Blob,
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    const headers = { ...(target.authorised ? authHeaders() : {}), ...target.headers };
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve((xhr.responseText && target.authorised ? JSON.parse(xhr.responseText) : undefined) as T);
      } else {
        try {
          failed(errorFrom(xhr.status, xhr.responseText));
        } catch (error) {
          reject(error);
        }
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "network_error", "The upload was interrupted. Try again."));
    xhr.send(file);
  });
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
