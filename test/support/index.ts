// Test support: the one home of what tests share, for the unit tests beside the code in src/ as well
// as the multi-process suites in test/ and the benchmarks in bench/. One folder, so there is one
// waitFor, one fake daemon, one SSE recorder, one temp-folder helper, and a reader finds them all
// here. It sits outside src/ because none of it ships: src/ holds only the product.
//
// Two parts, told apart by path (test/architecture.test.ts checks both):
// - this folder reaches the product from outside, as any client would: over HTTP and WebSockets,
//   through src/protocol and the typed client in src/client, or as real `viber` processes;
// - in-process/ runs product code inside the test's own process (a gateway, a daemon, the agent's
//   loop), for the unit tests beside that code; the multi-process suites may not use it.
//
// There is no barrel: a test imports the file it needs, so a unit test loads only its own helpers
// (an agent test never loads the gateway). The files:
//
// wait.ts                waitFor (the one poll helper), sleep, createGate, withTimeout
// temp-dirs.ts           makeTempDir, removeTempDir(s), useTempDirs: every temporary folder
// fake-daemon.ts         FakeDaemon: the daemon played by a test, protocol-checked, able to misbehave
// seed-daemon.ts         SeedDaemon: a daemon written from the protocol document alone (no handshake, no seq)
// fake-gateway.ts        FakeGateway: the gateway played by a daemon test
// sse-recorder.ts        SseRecorder: every event of one SSE response, parsed by the client's readSse
// task-stream-reader.ts  TaskStreamReader: a task's stream as the AI SDK reads it, reconnects by hand
// rest-client.ts         RestClient: typed calls through the client, and unchecked raw requests
// terminal-viewer.ts     TerminalViewer: the client's connectTerminal, recording, able to stop reading
// tmux.ts                stopTmuxServer: a test's own tmux server, ended for certain
// local-http-server.ts   a scripted impostor of the gateway, for the client's tests
// mcp-client.ts          the gateway's /mcp through the MCP SDK's own client, and raw POSTs to it
// scripted-model.ts      the AI SDK's mock model, fed scripted turns
// openai-script.ts       scripted turns for the OpenAI-compatible test server
// openai-test-server.ts  an OpenAI-compatible HTTP server that answers from a script
// mcp-test-server.ts     a stdio MCP server with tools that misbehave on purpose (crash, wait, fail, bad schema)
// mcp-http-server.ts     server-everything over Streamable HTTP on 127.0.0.1 and a free port
// processes.ts           real `viber` and `node` processes: lines awaited, killed after each test
// viber-stack.ts         a gateway and daemons as separate `viber` processes
// e2e-cleanup.ts         after each multi-process test: kill processes, close servers, remove temp dirs
// e2e-fixtures.ts        the e2e scenarios' conversations, fixtures and assertions
// test-ca.ts             a throwaway CA and a 127.0.0.1 certificate (openssl), trusted by the test process on demand
// redis-server.ts        a throwaway redis-server on 127.0.0.1 and a free port, stoppable and restartable on it
// scale-out-stack.ts     three gateway processes on a throwaway PostgreSQL and Redis (threeGateways)
// job-ticks.ts           the next ticks of a scheduled job's pattern, for tests that wait on one
// port-service.mjs       a web and WebSocket service a port test starts in a viber's workspace
// channels/              chat platforms on 127.0.0.1 (Telegram's Bot API, Slack, Discord, signed as
//                        they sign) and channel-stack.ts: a model, gateway and daemon for a channel test
// browser/               Playwright: a browser, a board stack, the conversation as a person reads it
// in-process/test-gateway.ts       TestGateway: a gateway in this process on a temp home
// in-process/temp-home.ts          tempHome, useTempHome: an OpenViber home for in-process code
// in-process/daemon-fixture.ts     a daemon in this process against a FakeGateway
// in-process/hand-driven-agent.ts  TestAgent: agent tasks the daemon tests drive by hand
// in-process/agent-test.ts         useAgentTest: a home per test and the agent's loop on a scripted model
// in-process/mcp-manager.ts        MCP servers from node_modules and the test server, a McpConnectionManager per test
// in-process/tool-context.ts       a real ToolContext over a temp folder, and callTool
// in-process/terminal-stack.ts     a gateway and a daemon with its own tmux, for the terminal tests
// in-process/test-auth.ts          the gateway's auth on a store, for what stands on it
// in-process/device-clients.ts     device keys, raw handshake sockets, operators paired with chosen scopes
// in-process/adapter-receiver.ts   one channel adapter's receive behind a real HTTP server
// in-process/channel-sealing.ts    channel secrets sealed as the gateway seals them, for adapter tests

export {};
