/** The configuration: loading, validation, problems, and the `check` and `schema` commands. */

export type { CommandIo } from "./commands.js";
export { CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, defaultConfigPath, runCheckCommand, runSchemaCommand } from "./commands.js";
export { buildJsonSchema, committedSchemaPath, jsonSchemaText } from "./json-schema.js";
export type { AdapterConfig, BridgeConfig, LoadOptions, LoadResult } from "./load.js";
export { loadConfig } from "./load.js";
export type { ConfigProblem } from "./problems.js";
export { EXIT_CONFIG, formatProblem, formatProblems } from "./problems.js";
export { ADAPTER_ID_PATTERN, CORE_ADAPTER_KEYS } from "./schema.js";
