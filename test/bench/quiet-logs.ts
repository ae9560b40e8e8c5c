// The benchmark's own Kafka clients log through the services' logger, whose level is read when
// it is first imported; their retried-request warnings would break into the progress bar. So this
// module is imported first. LOG_LEVEL still wins when set.
process.env.LOG_LEVEL ??= 'error';
