import type { ApiError } from "./errors";

/**
 * Cloudflare's v4 response envelope. Every response body is built here; its schemas for the
 * OpenAPI document are in src/schemas/envelope.ts.
 * @see https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/
 */
export type Message = { code: number; message: string };

/** Paging facts of a list response: page style, cursor style, or both. */
export type ResultInfo = {
  count: number;
  per_page: number;
  /** Left out where counting would mean walking everything (the audit trail). */
  total_count?: number;
  page?: number;
  total_pages?: number;
  cursor?: string;
};

/** A list and its paging facts: what REST's envelope carries and an RPC list method returns. */
export type ListResult<T> = { result: T[]; result_info: ResultInfo };

export type PagePosition = { page: number; perPage: number; total: number };

export function ok<T>(result: T) {
  return { success: true as const, errors: [] as Message[], messages: [] as Message[], result };
}

export function listResult<T>(items: T[], resultInfo: ResultInfo): ListResult<T> {
  return { result: items, result_info: resultInfo };
}

/** A page of a page-style list (`page`, `per_page`), with Cloudflare's `result_info`. */
export function pageResult<T>(items: T[], { page, perPage, total }: PagePosition): ListResult<T> {
  return listResult(items, {
    page,
    per_page: perPage,
    count: items.length,
    total_count: total,
    total_pages: Math.ceil(total / perPage),
  });
}

/** Runs a page-style list for `page` and `per_page` as a query gives them, and pages its answer. */
export async function listPage<T>(
  { page, per_page }: { page: number; per_page: number },
  list: (page: { page: number; perPage: number }) => Promise<{ items: T[]; total: number }>,
): Promise<ListResult<T>> {
  const { items, total } = await list({ page, perPage: per_page });
  return pageResult(items, { page, perPage: per_page, total });
}

export function okList<T>({ result, result_info }: ListResult<T>) {
  return { ...ok(result), result_info };
}

export function failure(errors: Message[]) {
  return { success: false as const, errors, messages: [] as Message[], result: null };
}

export function failureOf(error: ApiError) {
  return failure([{ code: error.code, message: error.message }]);
}
