import {
  Injectable,
  PayloadTooLargeException,
  createParamDecorator,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';

/** One uploaded file, in the shape multer gives it (memory storage). */
export interface UploadedDocument {
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

/** Largest document the demo accepts (reading stops beyond it). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/** The part of a Fastify request that `@fastify/multipart` (registered in main.ts) adds. */
interface FastifyMultipartRequest {
  isMultipart(): boolean;
  file(options: {
    limits: { fileSize: number; files: number };
  }): Promise<{ filename: string; mimetype: string; toBuffer(): Promise<Buffer> } | undefined>;
  uploadedDocument?: UploadedDocument;
}

const LIMITS = { fileSize: MAX_DOCUMENT_BYTES, files: 1 };
const MulterFile = FileInterceptor('file', { limits: LIMITS });

/**
 * Reads the multipart field `file` on either HTTP platform: with multer (Nest's `FileInterceptor`)
 * on Express, with `@fastify/multipart` on Fastify. Both keep the file in memory, up to
 * `MAX_DOCUMENT_BYTES` (413 beyond).
 */
@Injectable()
export class DocumentUploadInterceptor implements NestInterceptor {
  private readonly multer = new MulterFile();

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<Partial<FastifyMultipartRequest>>();
    if (typeof req.isMultipart !== 'function' || typeof req.file !== 'function') {
      return this.multer.intercept(context, next);
    }
    if (req.isMultipart()) {
      const part = await req.file({ limits: LIMITS });
      if (part) {
        let buffer: Buffer;
        try {
          buffer = await part.toBuffer();
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 413) {
            throw new PayloadTooLargeException('File too large');
          }
          throw error;
        }
        req.uploadedDocument = {
          originalname: part.filename,
          mimetype: part.mimetype,
          size: buffer.length,
          buffer,
        };
      }
    }
    return next.handle();
  }
}

/** The file `DocumentUploadInterceptor` read (multer's `req.file` on Express, ours on Fastify). */
export const UploadedDocumentFile = createParamDecorator(
  (_data: unknown, context: ExecutionContext): UploadedDocument | undefined => {
    const req = context.switchToHttp().getRequest<{ file?: unknown; uploadedDocument?: UploadedDocument }>();
    if (req.uploadedDocument) return req.uploadedDocument;
    return typeof req.file === 'object' && req.file !== null ? (req.file as UploadedDocument) : undefined;
  },
);
