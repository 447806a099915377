import type { DocumentType } from './document-views.js';

export interface DocumentLineInput {
  productId: number;
  size?: string | null;
  lot?: string | null;
  expiry?: string | null;
  serial?: string | null;
  location?: string | null;
  quantity: number;
}

export interface DocumentInput {
  type: DocumentType;
  warehouseId: number;
  toWarehouseId?: number | null;
  reference?: string | null;
  lines: DocumentLineInput[];
}
