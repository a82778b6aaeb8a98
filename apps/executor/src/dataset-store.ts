import { createHash } from "node:crypto";
import { jetstreamManager, type NatsConnection, type ObjectStore, Objm } from "@conclave/bus";
import { AppError, isAppError } from "@conclave/errors";
import type { DatasetStore, StoredDataset } from "@conclave/tools";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type ObjectInfo = NonNullable<Awaited<ReturnType<ObjectStore["info"]>>>;

function digestMatches(bytes: Uint8Array, digest: string): boolean {
  const [kind, encoded] = [digest.slice(0, 8), digest.slice(8)];
  if (kind.toUpperCase() !== "SHA-256=") return false;
  // Node's base64 decoder takes both the standard and the URL-safe alphabet, as clients write either.
  return Buffer.from(encoded, "base64").equals(createHash("sha256").update(bytes).digest());
}

/**
 * The uploaded files of the group, as the `dataset` tool reads them: object `<groupId>/<fileId>` of
 * the `files` bucket, so a call can only reach its own group's files. Objects over `maxBytes` are
 * refused before they are read.
 */
export function createDatasetStore(deps: {
  nc: NatsConnection;
  bucket: string;
  maxBytes?: number;
}): DatasetStore {
  const maxBytes = deps.maxBytes ?? 5 * 1024 * 1024;
  let opened: Promise<ObjectStore> | undefined;
  const open = () => {
    opened ??= new Objm(deps.nc).open(deps.bucket).catch((e: unknown) => {
      opened = undefined;
      throw e;
    });
    return opened;
  };

  /**
   * The object's chunks, one direct get each. Not `ObjectStore.get`: its push consumer needs flow
   * control replies (`$JS.FC.>`), which the executor's NATS user may not publish.
   */
  let manager: ReturnType<typeof jetstreamManager> | undefined;
  const readChunks = async (info: ObjectInfo): Promise<Uint8Array> => {
    manager ??= jetstreamManager(deps.nc).catch((e: unknown) => {
      manager = undefined;
      throw e;
    });
    const jsm = await manager;
    const stream = `OBJ_${deps.bucket}`;
    const subject = `$O.${deps.bucket}.C.${info.nuid}`;
    const parts: Uint8Array[] = [];
    let size = 0;
    let seq = 0;
    for (let i = 0; i < info.chunks; i++) {
      const m = await jsm.direct.getMessage(stream, { seq: seq + 1, next_by_subj: subject });
      if (!m) break;
      parts.push(m.data);
      size += m.data.byteLength;
      seq = m.seq;
    }
    const bytes = Buffer.concat(parts, size);
    if (size !== info.size || !digestMatches(bytes, info.digest))
      throw new AppError("unavailable", "the dataset changed while it was read; retry");
    return bytes;
  };

  return {
    async get(groupId, datasetId): Promise<StoredDataset | undefined> {
      if (!UUID.test(groupId) || !UUID.test(datasetId)) return undefined;
      let info: ObjectInfo | null;
      try {
        info = await (await open()).info(`${groupId}/${datasetId}`);
      } catch (e) {
        throw new AppError("unavailable", "the file store is unreachable; retry later", { cause: e });
      }
      if (!info || info.deleted) return undefined;
      if (info.size > maxBytes)
        throw new AppError(
          "payload_too_large",
          `the dataset is ${info.size} bytes; the limit is ${maxBytes}`,
        );
      let bytes: Uint8Array;
      try {
        bytes = info.size === 0 ? new Uint8Array(0) : await readChunks(info);
      } catch (e) {
        if (isAppError(e)) throw e;
        throw new AppError("unavailable", "the file store is unreachable; retry later", { cause: e });
      }
      return { name: info.metadata?.filename ?? datasetId, csvText: new TextDecoder().decode(bytes) };
    },
  };
}
