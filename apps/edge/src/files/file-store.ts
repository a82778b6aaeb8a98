import { type NatsConnection, type ObjectStore, Objm } from "@conclave/bus";
import { AppError } from "@conclave/errors";

/** Where uploaded bytes live: the deployment's `files` object store, one object per file. */
export interface FileStore {
  put(groupId: string, fileId: string, file: { name: string; bytes: Uint8Array }): Promise<void>;
  /** Removes the file's bytes; a file already gone is not an error. */
  remove(groupId: string, fileId: string): Promise<void>;
}

/** The object of a file: `<groupId>/<fileId>`, the name the executor's dataset store reads. */
const objectName = (groupId: string, fileId: string) => `${groupId}/${fileId}`;

/** A file store on the object store `bucket`, opened on first use (and again after a failed open). */
export function createFileStore(nc: NatsConnection, bucket: string, timeoutMs: number): FileStore {
  let opened: Promise<ObjectStore> | undefined;
  const open = () => {
    opened ??= new Objm(nc).open(bucket).catch((e: unknown) => {
      opened = undefined;
      throw e;
    });
    return opened;
  };
  const unreachable = (cause: unknown) =>
    new AppError("unavailable", "the file store is unreachable; retry later", { cause });
  return {
    async put(groupId, fileId, { name, bytes }) {
      try {
        const os = await open();
        await os.putBlob({ name: objectName(groupId, fileId), metadata: { filename: name } }, bytes, {
          timeout: timeoutMs,
        });
      } catch (e) {
        throw unreachable(e);
      }
    },
    async remove(groupId, fileId) {
      try {
        await (await open()).delete(objectName(groupId, fileId));
      } catch (e) {
        throw unreachable(e);
      }
    },
  };
}
