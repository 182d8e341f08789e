// The Hub layer: Hugging Face Hub downloads into the standard cache layout, and resolving `org/name[:file-or-quant][@revision]`
// or a local path to local files, and dataset repositories (pullDataset). Imports nothing of ours but src/common.
export { pull, pullDataset, resolveModelReference, mainPath, type PullOptions, type PullDatasetOptions, type PullResult, type PulledFile, type ResolvedModel } from "./pull.js";
export {
  parseModelReference,
  parseHubReference,
  isHubReference,
  formatHubReference,
  looksLikeLocalPath,
  DEFAULT_REVISION,
  type ModelReference,
  type HubReference,
  type LocalReference,
  type FileSelector,
} from "./reference.js";
export { selectFiles, hasQuantization, globToRegExp, listQuantizations, COMPANION_FILES, DEFAULT_QUANTIZATION, type SelectionRequest } from "./select.js";
export { resolveHubSettings, repoFolderName, RepoCache, DEFAULT_ENDPOINT, type RepoType, type HubSettings, type HubSettingsOptions } from "./cache.js";
export { normalizeEtag } from "./api.js";
export * from "./errors.js";
