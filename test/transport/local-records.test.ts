import { describe, expect, test } from "bun:test";
import { LocalRecords, decodeTopicRecord, storedTopicRecords, type TopicPeer } from "../../internal/transport/local-records.ts";

const messages = require("hyperdht/lib/messages");
const c = require("compact-encoding");
const RecordCache = require("record-cache");

const key = (n: number) => new Uint8Array(32).fill(n);
const record = (n: number, relays: { host: string; port: number }[] = []) => new Uint8Array(c.encode(messages.peer, { publicKey: key(n), relayAddresses: relays }));

describe("LocalRecords", () => {
  test("fresh() hands over keys not handed since the last all(); all() hands over every record", () => {
    const store: Uint8Array[] = [record(1)];
    const got: number[] = [];
    const l = new LocalRecords(() => store, decodeTopicRecord, (p) => got.push(p.publicKey[0]!));
    expect(l.fresh()).toBe(1);
    expect(l.fresh()).toBe(0);
    store.push(record(2));
    expect(l.fresh()).toBe(1);
    expect(got).toEqual([1, 2]);
    expect(l.all()).toBe(2);
    expect(l.fresh()).toBe(0);
    expect(got).toEqual([1, 2, 1, 2]);
  });

  test("records that do not decode are skipped", () => {
    const got: TopicPeer[] = [];
    const l = new LocalRecords(() => [new Uint8Array([1, 2, 3]), new Uint8Array(0), record(7, [{ host: "10.77.0.11", port: 2377 }])], decodeTopicRecord, (p) => got.push(p));
    expect(l.all()).toBe(1);
    expect(Buffer.from(got[0]!.publicKey)).toEqual(Buffer.from(key(7)));
    expect(got[0]!.relayAddresses).toEqual([{ host: "10.77.0.11", port: 2377 }]);
  });
});

describe("storedTopicRecords", () => {
  test("reads hyperdht's record store for the topic, at most `max`; nothing without a store", () => {
    const topic = key(9);
    const records = new RecordCache({ maxSize: 100 });
    for (let i = 1; i <= 3; i++) records.add(Buffer.from(topic).toString("hex"), key(i), record(i));
    records.add(Buffer.from(key(8)).toString("hex"), key(4), record(4)); // another topic
    const dht = { _persistent: { records } };
    const ids = (rs: Uint8Array[]) => rs.map((r) => decodeTopicRecord(r)!.publicKey[0]).sort();
    expect(ids(storedTopicRecords(dht, topic, 10))).toEqual([1, 2, 3]);
    expect(storedTopicRecords(dht, topic, 2)).toHaveLength(2);
    expect(storedTopicRecords({ _persistent: null }, topic, 10)).toEqual([]);
    expect(storedTopicRecords(undefined, topic, 10)).toEqual([]);
  });
});
