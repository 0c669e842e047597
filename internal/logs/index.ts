/**
 * logs: a task's log lines from its live container or, once the container is removed, from the bounded
 * LogArchive the executor fills before removing containers.
 */
export { FrameDecoder, LineAssembler, demuxBuffer, linesFromBuffer, splitTimestamp, type Frame, type StampedLine, type StreamName } from "./demux.ts";
export {
  createFileLogArchive,
  createMemoryLogArchive,
  defaultLogArchiveLimits,
  evictions,
  FILE_COST_BYTES,
  encodeBounded,
  decodeArchive,
  type LogArchive,
  type LogArchiveLimits,
} from "./archive.ts";
export { parseSince, parseGoDuration, sinceParam, tsSeconds, compareTs, tsKey } from "./since.ts";
export { dockerLogSource, isLogSource, type LogSource, type ContainerLogOptions } from "./source.ts";
export { readTaskLogs, selectLines, mergeSorted, interleave, LogMerger, type TaskLogLine, type TaskLogRef, type ReadLogsOptions } from "./reader.ts";
export { createLogSink, realSinkFs, type LogSink, type SinkFs } from "./log-sink.ts";
export { mergeOrdered, batches, Channel, DEFAULT_BATCH, type BatchLimits } from "./stream.ts";
