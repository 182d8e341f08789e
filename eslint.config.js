// ESLint flat config: typescript-eslint with type-aware rules (no floating promises, no any).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "build/**", ".device/**", "coverage/**", "**/*.cjs", "native/**", "bench/out/**", "test/out/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  { files: ["bin/**/*.js", "eslint.config.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
  { files: ["bin/**/*.js", "**/*.mjs"], languageOptions: { globals: { process: "readonly", URL: "readonly", console: "readonly", Buffer: "readonly" } } },
);
