// Each test file's process, before the file imports kafkajs: see services/kafka/kafkajs-aborted-filter.cjs.
import '../../services/kafka/kafkajs-aborted-filter.cjs';
