"""Bilingual (Chinese first, English second) wording of the documents.

Kept as data so that wording changes never touch layout code. Titles follow
《计量检定印、证管理办法》 and JJF 1069 usage; statements follow ISO/IEC 17025:2017 7.8.
"""
from __future__ import annotations

from .data import Conformity, DocumentKind, SignatoryRole

TITLES = {
    DocumentKind.VERIFICATION: ("检定证书", "VERIFICATION CERTIFICATE"),
    DocumentKind.VERIFICATION_NOTICE: ("检定结果通知书", "NOTICE OF VERIFICATION RESULT"),
    DocumentKind.CALIBRATION: ("校准证书", "CALIBRATION CERTIFICATE"),
}

#: work noun per kind: (zh, en), used in "检定日期 / Date of verification" etc.
WORK = {
    DocumentKind.VERIFICATION: ("检定", "verification"),
    DocumentKind.VERIFICATION_NOTICE: ("检定", "verification"),
    DocumentKind.CALIBRATION: ("校准", "calibration"),
}

CONFORMITY = {
    Conformity.PASS: ("合格", "Pass"),
    Conformity.FAIL: ("不合格", "Fail"),
    Conformity.CONDITIONAL_PASS: ("有条件合格", "Conditional pass"),
    Conformity.CONDITIONAL_FAIL: ("有条件不合格", "Conditional fail"),
}

ROLES: dict[SignatoryRole, dict[DocumentKind | None, tuple[str, str]]] = {
    SignatoryRole.PERFORMER: {DocumentKind.CALIBRATION: ("校准员", "Calibrated by")},
    SignatoryRole.CHECKER: {None: ("核验员", "Checked by")},
    SignatoryRole.APPROVER: {None: ("批准人", "Approved by")},
}
_PERFORMER_DEFAULT = ("检定员", "Verified by")


def role_label(role: SignatoryRole, kind: DocumentKind) -> tuple[str, str]:
    """Return the signature caption for a role in a document kind.

    :param role: signatory role
    :param kind: document kind
    :returns: (Chinese, English)
    """
    by_kind = ROLES[role]
    return by_kind.get(kind) or by_kind.get(None) or _PERFORMER_DEFAULT


FIELDS = {
    "number": ("证书编号", "Certificate No."),
    "page": ("第 {page} 页 共 {pages} 页", "Page {page} of {pages}"),
    "customer": ("委托单位", "Customer"),
    "instrument": ("计量器具名称", "Instrument"),
    "model": ("型号/规格", "Model / type"),
    "serial": ("出厂编号", "Serial No."),
    "instrument_id": ("器具编号", "Instrument ID"),
    "manufacturer": ("制造单位", "Manufacturer"),
    "accuracy_class": ("准确度等级", "Accuracy class"),
    "range": ("测量范围", "Measuring range"),
    "method": ("依据规程/规范", "Method / regulation"),
    "conclusion": ("结论", "Conclusion"),
    "failed": ("不合格项目", "Failed items"),
    "received": ("接收日期", "Date received"),
    "performed": ("{work}日期", "Date of {work}"),
    "due_verification": ("有效期至", "Valid until"),
    "due_calibration": ("建议下次校准日期（应客户要求）", "Recalibration due (at the customer's request)"),
    "issued": ("签发日期", "Date of issue"),
    "location": ("{work}地点", "Place of {work}"),
    "environment": ("环境条件", "Environmental conditions"),
    "raw_record": ("原始记录编号", "Raw record No."),
    "deviations": ("方法偏离", "Deviations from the method"),
    "standards": ("使用的计量标准器", "Reference standards used"),
    "results": ("{work}结果", "Results of {work}"),
    "statement": ("符合性声明", "Statement of conformity"),
    "decision_rule": ("判定规则", "Decision rule"),
    "remarks": ("说明", "Remarks"),
    "signatures": ("签名", "Signatures"),
}

STANDARD_COLUMNS = (("名称", "Name"), ("编号", "ID"), ("测量范围", "Range"), ("准确度", "Accuracy"),
                    ("证书编号/有效期至", "Certificate / valid until"), ("溯源", "Traceability"))

RESULT_COLUMNS = {
    "item": ("项目", "Item"), "unit": ("单位", "Unit"), "nominal": ("标准值", "Reference"),
    "measured": ("示值", "Indication"), "error": ("误差", "Error"), "mpe": ("最大允许误差", "MPE"),
    "uncertainty": ("扩展不确定度", "U (k, p)"), "conformity": ("判定", "Result"),
}

NO_CONFORMITY = ("本证书不作符合性判定。", "No statement of conformity is made.")
ONLY_ITEMS = ("本证书结果仅对所{work}的器具有效。", "The results relate only to the item {work_en}.")
NOT_REPRODUCE = ("未经本机构书面批准，不得部分复制本证书。",
                 "This certificate shall not be reproduced except in full without the laboratory's written approval.")
UNCERTAINTY = ("扩展不确定度 U 由合成标准不确定度乘以包含因子 k 得到，p 为包含概率。",
               "The expanded uncertainty U is the combined standard uncertainty multiplied by the coverage "
               "factor k; p is the coverage probability.")
NOTICE_USE = ("该器具未经修理并重新检定合格，不得用于贸易结算或医疗诊断。",
              "The instrument must not be used for trade or medical purposes until repaired and re-verified.")
REPLACES = ("本证书替代证书 {old}（{how}），原证书自即日起作废。更改原因：{reason}",
            "This certificate replaces certificate {old} ({how_en}), which is withdrawn. Reason: {reason}")
AMENDMENT = {"amended": ("修改", "amended"), "substituted": ("替换", "substituted")}
E_SIGNED = ("（电子签名）", "(signed electronically)")
END_MARK = ("—— 以下空白 ——", "— End of certificate —")
QR_CAPTION = ("扫码验证", "Scan to verify")
