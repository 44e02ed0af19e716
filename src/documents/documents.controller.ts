import { BadRequestException, Controller, Post, UseInterceptors } from '@nestjs/common';
import { CashlinkDocumentsService } from 'nestjs-cashlink';
import {
  DocumentUploadInterceptor,
  UploadedDocumentFile,
  type UploadedDocument,
} from './document-upload.interceptor';

@Controller('documents')
export class DocumentsController {
  constructor(private readonly documents: CashlinkDocumentsService) {}

  /**
   * Forwards one uploaded file (multipart field `file`) to Cashlink and answers its document id, to be
   * referenced by a subscription (`documentId`) as the signed subscription document.
   */
  @Post()
  @UseInterceptors(DocumentUploadInterceptor)
  async upload(@UploadedDocumentFile() file: UploadedDocument | undefined): Promise<object> {
    if (file === undefined) throw new BadRequestException('send the document as multipart field "file"');
    let document: { id: string };
    try {
      document = await this.documents.upload(file.buffer, {
        filename: file.originalname,
        contentType: file.mimetype,
      });
    } catch (error) {
      // The library refuses an unusable name or type (e.g. a blank file name) with a TypeError before
      // anything is stored or sent: the client's request is at fault, and the message names no value.
      if (error instanceof TypeError) throw new BadRequestException(error.message);
      throw error;
    }
    return { id: document.id, filename: file.originalname, size: file.size };
  }
}
