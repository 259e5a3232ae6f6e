// `npm run start:worker`: the same control plane, running only BullMQ workers and the MQTT bus
// (no HTTP). Several worker and API processes share Redis, Postgres and an external broker.
process.env.PROCESS_ROLE = 'worker';
await import('./main.js');
