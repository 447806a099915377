import type { Store } from '../../src/storage/database.js';

/**
 * The store with one of its methods failing ('database away') while `when()` says so; everything
 * else is the real store. For the paths that must log a failed write and carry on.
 */
export function failingStore(store: Store, method: keyof Store, when: () => boolean = () => true): Store {
  return new Proxy(store, {
    get(target, key) {
      if (key === method && when()) return async () => Promise.reject(new Error('database away'));
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
