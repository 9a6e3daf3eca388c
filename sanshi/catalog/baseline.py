"""The baseline responsibility catalogue (三事分流责任清单): 8 PUBLIC + 8 SHARED + 8 HOUSEHOLD.

Source: shared/TRIAGE_RUBRIC.md (seeds J0 and B2). Loaded into the database by a data
migration; administrators edit it from there, and every edit makes a new catalogue version.
`deadline_days` counts working days (see docs/catalogue.md).
"""

ITEMS: list[dict] = [
    # ---- PUBLIC 公事 → street joint meeting -------------------------------------------------
    {
        "code": "P1", "kind": "PUBLIC", "name": "行政管理与执法",
        "description": "需要政府部门依法管理或执法的事项。",
        "examples": ["违章搭建", "商户噪音扰民", "餐馆油烟污染", "市场秩序混乱", "食品安全问题"],
        "keywords": ["违章", "违建", "违法", "执法", "城管", "油烟", "排污", "污染", "工地噪音", "施工噪音",
                     "商铺", "商户", "摊贩", "占道经营", "食品安全", "无证", "非法", "查处", "广场舞"],
        "deadline_days": 10,
    },
    {
        "code": "P2", "kind": "PUBLIC", "name": "基本公共服务",
        "description": "教育、医疗、社保、养老、就业、户籍、救助等基本公共服务。",
        "examples": ["孩子入学难", "社保缴费问题", "养老金发放", "户口迁移", "低保申请"],
        "keywords": ["学校", "入学", "上学", "教师", "医院", "医保", "社保", "养老金", "退休", "就业", "户口",
                     "户籍", "低保", "救助", "补贴", "残疾", "幼儿园", "政策", "公积金", "疫苗"],
        "deadline_days": 15,
    },
    {
        "code": "P3", "kind": "PUBLIC", "name": "重大基础设施",
        "description": "公共道路、桥梁、排水、水电气管网、公共交通、轨道交通等。",
        "examples": ["市政道路坑洼", "公交车过站不停", "主干道积水", "停水停电", "燃气管网改造"],
        "keywords": ["道路", "马路", "桥梁", "排水", "积水", "下水道", "自来水", "停水", "停电", "供电", "燃气",
                     "天然气", "公交", "地铁", "轨道", "路灯", "红绿灯", "修路", "高速", "车站"],
        "deadline_days": 20,
    },
    {
        "code": "P4", "kind": "PUBLIC", "name": "重大民生实事",
        "description": "老旧小区改造计划、背街小巷改造、农贸市场、公共厕所等民生项目。",
        "examples": ["老旧小区改造", "背街小巷改造", "农贸市场建设", "公共厕所不足"],
        "keywords": ["老旧小区改造", "改造", "背街小巷", "农贸市场", "菜市场", "公厕", "公共厕所", "民生",
                     "棚改", "加装电梯补贴", "便民"],
        "deadline_days": 30,
    },
    {
        "code": "P5", "kind": "PUBLIC", "name": "公共环境卫生",
        "description": "公共区域保洁、公共绿化、辖区环境整治。",
        "examples": ["街道垃圾无人清扫", "公共绿地荒废", "河道脏臭"],
        "keywords": ["垃圾", "清扫", "保洁", "环卫", "绿化", "河道", "臭", "卫生", "环境整治", "扬尘", "黑臭",
                     "垃圾站", "渣土"],
        "deadline_days": 7,
    },
    {
        "code": "P6", "kind": "PUBLIC", "name": "公共安全隐患",
        "description": "交通安全、公共场所消防或地质灾害隐患。",
        "examples": ["路口缺少信号灯", "公共场所消防隐患", "山体滑坡隐患"],
        "keywords": ["安全隐患", "隐患", "危险", "交通安全", "事故", "滑坡", "塌方", "地质灾害", "危房",
                     "井盖", "消防隐患", "超速", "护栏"],
        "deadline_days": 5,
    },
    {
        "code": "P7", "kind": "PUBLIC", "name": "历史遗留问题",
        "description": "房产证办理、拆迁安置、征地补偿等历史遗留问题。",
        "examples": ["开发商不办房产证", "拆迁安置房迟迟不交付", "征地补偿不到位"],
        "keywords": ["房产证", "不动产证", "产权证", "拆迁", "安置", "征地", "补偿款", "开发商", "烂尾",
                     "回迁", "历史遗留", "土地证"],
        "deadline_days": 60,
    },
    {
        "code": "P8", "kind": "PUBLIC", "name": "劳动与企业监管",
        "description": "拖欠工资、劳动争议、需要监管部门介入的企业纠纷。",
        "examples": ["工地拖欠农民工工资", "公司不签劳动合同", "企业违规经营"],
        "keywords": ["工资", "欠薪", "拖欠", "劳动合同", "劳动仲裁", "加班", "辞退", "农民工", "企业",
                     "公司", "传销", "非法集资", "价格"],
        "deadline_days": 15,
    },
    # ---- SHARED 共事 → community review meeting --------------------------------------------
    {
        "code": "S1", "kind": "SHARED", "name": "居民共同事务",
        "description": "小区管理规约、小区内部秩序等居民共同事务。",
        "examples": ["制定小区管理规约", "小区门禁管理", "外来人员随意进出小区"],
        "keywords": ["管理规约", "门禁", "小区秩序", "居民公约", "小区大门", "外来车辆", "共同事务"],
        "deadline_days": 20,
    },
    {
        "code": "S2", "kind": "SHARED", "name": "物业服务与收费",
        "description": "物业服务质量、物业费、选聘或更换物业企业。",
        "examples": ["物业服务差", "物业费上涨", "引入物业服务", "更换物业公司"],
        "keywords": ["物业", "物业费", "物业公司", "物业服务", "引入物业", "更换物业", "保安", "物管"],
        "deadline_days": 20,
    },
    {
        "code": "S3", "kind": "SHARED", "name": "业主委员会",
        "description": "业委会的成立、选举与监督。",
        "examples": ["成立业主委员会", "业委会换届", "业委会账目不公开"],
        "keywords": ["业委会", "业主委员会", "业主大会", "换届", "业主代表", "选举"],
        "deadline_days": 30,
    },
    {
        "code": "S4", "kind": "SHARED", "name": "小区停车",
        "description": "小区内车位分配与停车收费。",
        "examples": ["小区停车位不够", "停车费怎么收", "车位被占"],
        "keywords": ["停车", "车位", "停车费", "停车场", "车库", "地下车库", "充电桩", "电瓶车"],
        "deadline_days": 20,
    },
    {
        "code": "S5", "kind": "SHARED", "name": "共用设施设备",
        "description": "电梯、小区道路和照明、水箱、消防通道、维修资金。",
        "examples": ["电梯经常故障", "小区道路破损", "楼道灯坏了", "维修资金使用", "上下水管道老化"],
        "keywords": ["电梯", "楼道灯", "小区道路", "水箱", "二次供水", "消防通道", "维修资金", "维修基金",
                     "管道老化", "屋顶漏水", "外墙", "单元门", "化粪池"],
        "deadline_days": 15,
    },
    {
        "code": "S6", "kind": "SHARED", "name": "共有部分与公共收益",
        "description": "共有部分的使用或出租，以及公共收益的去向。",
        "examples": ["小区广告收益去向", "架空层被出租", "公共用房被占用"],
        "keywords": ["公共收益", "广告收益", "共有部分", "架空层", "公共用房", "出租", "会所", "收益"],
        "deadline_days": 30,
    },
    {
        "code": "S7", "kind": "SHARED", "name": "集体“三资”",
        "description": "村集体资金、资产、资源的管理与分配。",
        "examples": ["村集体资金去向不明", "土地承包收益分配", "集体资产出租"],
        "keywords": ["村集体", "集体资金", "集体资产", "集体土地", "三资", "土地承包", "分红", "村务公开",
                     "村委会", "村干部", "承包费"],
        "deadline_days": 30,
    },
    {
        "code": "S8", "kind": "SHARED", "name": "院落环境与公约",
        "description": "小区内垃圾分类、绿化、公共区域宠物管理等院落环境与公约。",
        "examples": ["小区垃圾分类不到位", "小区绿地被毁种菜", "遛狗不拴绳"],
        "keywords": ["垃圾分类", "小区绿化", "种菜", "毁绿", "遛狗", "拴绳", "院落", "院坝", "楼道堆物",
                     "飞线充电", "小区环境"],
        "deadline_days": 15,
    },
    # ---- HOUSEHOLD 家事 → grid neighbour meeting -------------------------------------------
    {
        "code": "H1", "kind": "HOUSEHOLD", "name": "邻里纠纷",
        "description": "邻里之间的争吵、边界、通行等纠纷。",
        "examples": ["邻居吵架", "宅基地边界纠纷", "邻居堵门"],
        "keywords": ["邻居", "邻里", "吵架", "纠纷", "宅基地", "边界", "堵门", "矛盾"],
        "deadline_days": 7,
    },
    {
        "code": "H2", "kind": "HOUSEHOLD", "name": "邻里噪声",
        "description": "邻居深夜噪声、住户装修噪声。",
        "examples": ["楼上深夜噪音", "邻居装修噪音", "邻居家狗叫"],
        "keywords": ["楼上", "楼下", "深夜", "半夜", "装修", "噪音", "噪声", "吵闹", "狗叫", "扰民"],
        "deadline_days": 5,
    },
    {
        "code": "H3", "kind": "HOUSEHOLD", "name": "漏水与相邻关系",
        "description": "楼上漏水、采光、通风、通行等相邻关系。",
        "examples": ["楼上漏水", "邻居挡住采光", "空调外机对着窗户"],
        "keywords": ["漏水", "渗水", "楼上漏", "采光", "通风", "空调外机", "相邻", "卫生间漏"],
        "deadline_days": 7,
    },
    {
        "code": "H4", "kind": "HOUSEHOLD", "name": "损害赔偿",
        "description": "个人之间的财产或人身损害赔偿。",
        "examples": ["邻居家水管爆裂泡坏我家地板", "被邻居家狗咬伤", "车被刮蹭"],
        "keywords": ["赔偿", "损坏", "损失", "咬伤", "刮蹭", "泡坏", "砸坏"],
        "deadline_days": 10,
    },
    {
        "code": "H5", "kind": "HOUSEHOLD", "name": "婚姻家庭",
        "description": "赡养、抚养、家庭矛盾。",
        "examples": ["子女不赡养老人", "夫妻吵架", "抚养费纠纷"],
        "keywords": ["赡养", "抚养", "子女", "老人", "夫妻", "离婚", "家庭", "家暴", "婆媳"],
        "deadline_days": 10,
    },
    {
        "code": "H6", "kind": "HOUSEHOLD", "name": "个人事务帮办",
        "description": "居民个人申请与办事，网格帮办。",
        "examples": ["帮老人办理证件", "代办居住证", "独居老人需要帮助"],
        "keywords": ["帮办", "代办", "办理", "证明", "居住证", "独居", "帮忙", "申请"],
        "deadline_days": 5,
    },
    {
        "code": "H7", "kind": "HOUSEHOLD", "name": "法定义务",
        "description": "住户自身的法定义务，如家庭消防安全、犬只登记。",
        "examples": ["家中堆放易燃物", "犬只未登记", "自家违规用电"],
        "keywords": ["犬只登记", "养狗", "易燃物", "家里", "自家", "违规用电", "煤气罐", "烟花"],
        "deadline_days": 7,
    },
    {
        "code": "H8", "kind": "HOUSEHOLD", "name": "私人债务与财产",
        "description": "个人之间的债务与财产纠纷。",
        "examples": ["借钱不还", "房屋租赁押金不退", "遗产分割纠纷"],
        "keywords": ["借钱", "欠钱", "还钱", "借款", "押金", "房租", "租客", "房东", "遗产", "财产"],
        "deadline_days": 10,
    },
]

KIND_LABELS = {"PUBLIC": "公事", "SHARED": "共事", "HOUSEHOLD": "家事"}
