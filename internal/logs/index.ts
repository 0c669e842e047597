export { FrameDecoder, LineAssembler, demuxBuffer, linesFromBuffer, splitTimestamp, type Frame, type StampedLine, type StreamName } from "./demux.ts";
export {
  createFileLogArchive,
  createMemoryLogArchive,
  defaultLogArchiveLimits,
  encodeBounded,
  decodeArchive,
  type LogArchive,
  type LogArchiveLimits,
} from "./archive.ts";
