"""The emulator's wire front end: Connect's REST-JSON protocol (and the parts of STS and S3
the gateway uses), routed, bound, validated and serialized from botocore's own models;
throttling, faults and counters; the test endpoints; the event sender; the options and the
state that ties an emulator together. It may import the operations and the world."""
