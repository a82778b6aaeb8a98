import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, replay } from "../api/client.js";
import { followGroup, type StreamStatus } from "../api/stream.js";
import { applyDelta, applyEvent, emptyTranscript, type Transcript, withNames } from "./transcript.js";

/**
 * The room's transcript: the recorded history first (replay), then the live stream after the last
 * seq it held; a dropped connection resumes from the last seq applied. Events at or below it are
 * ignored, so nothing shows twice whichever path delivered it.
 */
export function useTranscript(
  groupId: string,
  names: Record<string, string> | undefined,
  canReplay: boolean,
) {
  const [transcript, setTranscript] = useState<Transcript>(emptyTranscript);
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [detail, setDetail] = useState<string>();
  const current = useRef(transcript);
  const update = useCallback((f: (t: Transcript) => Transcript) => {
    current.current = f(current.current);
    setTranscript(current.current);
  }, []);

  useEffect(() => {
    if (names) update((t) => withNames(t, names));
  }, [names, update]);

  useEffect(() => {
    let stopped = false;
    let stream: { close(): void } | undefined;
    void (async () => {
      if (canReplay) {
        try {
          const history = await replay(groupId, 1);
          if (stopped) return;
          update((t) => history.lines.reduce((acc, l) => applyEvent(acc, l.seq, l.event), t));
        } catch (e) {
          // A viewer may not replay: the stream then carries the history from the start.
          if (!(e instanceof ApiError && e.status === 403)) setDetail("history unavailable; following live");
        }
      }
      if (stopped) return;
      stream = followGroup(groupId, {
        position: () => current.current.lastSeq,
        event: (seq, event) => update((t) => applyEvent(t, seq, event)),
        delta: (d) => update((t) => applyDelta(t, d)),
        status: (s, why) => {
          setStatus(s);
          setDetail(why);
        },
      });
    })();
    return () => {
      stopped = true;
      stream?.close();
    };
  }, [groupId, canReplay, update]);

  return { transcript, status, detail };
}
