import { Controller, Get } from '@nestjs/common';
import { CashlinkCampaignsService } from 'nestjs-cashlink';

/** The campaigns open at Cashlink: where the `campaignId` of a subscription comes from. */
@Controller('campaigns')
export class CampaignsController {
  constructor(private readonly campaigns: CashlinkCampaignsService) {}

  /** Every campaign (all pages, fetched as the loop goes), reduced to what a subscription form needs. */
  @Get()
  async list(): Promise<object[]> {
    const result: object[] = [];
    for await (const campaign of this.campaigns.all()) {
      result.push({
        id: campaign.id,
        name: campaign.name,
        active: campaign.is_campaign_active,
        pricePerToken: campaign.price_per_token,
        minUnits: campaign.min_number_of_tokens,
        maxUnits: campaign.max_number_of_tokens,
      });
    }
    return result;
  }
}
