// Lint (npm run lint; .ci/run runs it): typescript-eslint's recommended rules on the sources,
// tests, benchmarks and scripts, with the few adjustments below (each says why).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated or built files: src/sustain/zkernel-wasm.ts is the compiled kernel as base64.
  { ignores: ['dist/', 'node_modules/', 'out/', 'work/', 'test-results/', 'src/sustain/zkernel-wasm.ts', 'wasm/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a value dropped on purpose (e.g. `const { subtypes: _k, ...rest } = o`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Short loops use comma sequences on purpose: `for (...) (s += x), n++;`.
      '@typescript-eslint/no-unused-expressions': 'off',
      // `catch {}`: a best-effort read whose failure is handled by the code after it.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Published coefficients (Wichura's AS241) are kept digit for digit as printed.
    files: ['src/common/qnorm.ts'],
    rules: { 'no-loss-of-precision': 'off' },
  },
);
