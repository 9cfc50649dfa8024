// What the rules look at, in words (中文 / English): each criterion and each rule path
// (alternative) of chalicelib/domain/scenarios/, shared by the seller center and the
// reviewer console.  tests/unit/test_pages_texts.py checks every registered name has both.
import { addTexts, t } from './i18n.js';

addTexts({
  zh: {
    'criterion.orders_at_seller_30d': '30天内在本店的订单数',
    'criterion.unpaid_or_buyer_cancelled_ratio': '未付款或买家取消的比例',
    'criterion.other_sellers_upheld_in_window': '90天内其他商家投诉成立数',
    'criterion.reviews_in_window': '90天内评价数',
    'criterion.negative_review_ratio': '1–2星评价比例',
    'criterion.sellers_reviewed_negatively': '给出差评的商家数',
    'criterion.disputes_in_window': '90天内纠纷数',
    'criterion.disputes_per_paid_order': '纠纷占已付款订单比例',
    'criterion.sellers_disputed': '发起纠纷的商家数',
    'criterion.disputes_closed_in_seller_favour': '判商家胜诉的纠纷数',
    'criterion.order_has_buyer_note': '订单有买家留言',
    'criterion.hours_unpaid_since_placed': '下单后未付款小时数',
    'criterion.unpaid_orders_with_notes_7d': '7天内带留言的未付款订单数',
    'criterion.address_problems': '地址问题',
    'criterion.custom_item': '定制商品',
    'criterion.seller_messaged_after_payment': '付款后商家已联系买家',
    'criterion.buyer_replied_within_window': '买家在期限内回复',
    'criterion.hours_since_first_seller_message': '商家首次联系后的小时数',
    'path.address_fails_validation': '地址校验不通过',
    'path.custom_item_no_response': '定制商品买家未回复',
    'path.dispute_pattern': '纠纷模式',
    'path.disputes_lost': '买家败诉的纠纷',
    'path.orders_at_this_seller': '在本店的下单行为',
    'path.review_pattern': '评价模式',
    'path.unpaid_order_with_note': '带留言的未付款订单',
    'path.unpaid_orders_with_notes_7d': '7天内多笔带留言的未付款订单',
    'path.upheld_by_other_sellers': '其他商家投诉成立',
  },
  en: {
    'criterion.orders_at_seller_30d': 'Orders at this store in 30 days',
    'criterion.unpaid_or_buyer_cancelled_ratio': 'Share unpaid or cancelled by the buyer',
    'criterion.other_sellers_upheld_in_window': 'Other sellers’ upheld complaints in 90 days',
    'criterion.reviews_in_window': 'Reviews in 90 days',
    'criterion.negative_review_ratio': 'Share rated 1–2',
    'criterion.sellers_reviewed_negatively': 'Sellers reviewed negatively',
    'criterion.disputes_in_window': 'Disputes in 90 days',
    'criterion.disputes_per_paid_order': 'Disputes per paid order',
    'criterion.sellers_disputed': 'Sellers disputed',
    'criterion.disputes_closed_in_seller_favour': 'Disputes closed in the seller’s favour',
    'criterion.order_has_buyer_note': 'The order has a buyer note',
    'criterion.hours_unpaid_since_placed': 'Hours unpaid since placed',
    'criterion.unpaid_orders_with_notes_7d': 'Unpaid orders with notes in 7 days',
    'criterion.address_problems': 'Address problems',
    'criterion.custom_item': 'Custom item',
    'criterion.seller_messaged_after_payment': 'Seller messaged after payment',
    'criterion.buyer_replied_within_window': 'Buyer replied in time',
    'criterion.hours_since_first_seller_message': 'Hours since the seller’s first message',
    'path.address_fails_validation': 'Address fails validation',
    'path.custom_item_no_response': 'Custom item, no buyer response',
    'path.dispute_pattern': 'Dispute pattern',
    'path.disputes_lost': 'Disputes lost by the buyer',
    'path.orders_at_this_seller': 'Orders at this store',
    'path.review_pattern': 'Review pattern',
    'path.unpaid_order_with_note': 'Unpaid order with a note',
    'path.unpaid_orders_with_notes_7d': 'Unpaid orders with notes in 7 days',
    'path.upheld_by_other_sellers': 'Upheld by other sellers',
  },
});

/** A criterion's name in words (its code when no text is known). */
export function criterionName(name) {
  const key = `criterion.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

/** A rule path's (alternative's) name in words (its code when no text is known). */
export function pathName(name) {
  const key = `path.${name}`;
  const text = t(key);
  return text === key ? name : text;
}
